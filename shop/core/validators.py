"""Validators for Chinese personal data: mobile numbers and postcodes.

Numbers are stored in one form, ASCII digits only, so that equal numbers compare equal
(one unit of a group gift per phone is a unique constraint on the stored number). Python's
`\\d` matches any script's digits (full-width ０-９, Arabic-Indic ٠-٩, Devanagari ०-९…),
so every pattern here is ASCII-only. What Chinese keyboards type in full width
(１３８, ＋８６, －, the ideographic space) is first translated to ASCII; other scripts'
digits are refused rather than guessed at.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Full-width forms of ASCII (U+FF01–U+FF5E) and the ideographic space, as ASCII.
_FULL_WIDTH = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}
_MOBILE = re.compile(r"(?:\+?86)?(1[3-9][0-9]{9})", re.ASCII)
_STORED_MOBILE = re.compile(r"1[3-9][0-9]{9}", re.ASCII)
_SEPARATORS = re.compile(r"[\s\-()\u2010-\u2015\u2212]")
_POSTCODE = re.compile(r"[0-9]{6}", re.ASCII)


def _invalid_mobile() -> ValidationError:
    return ValidationError(
        _("Enter an 11-digit mainland mobile number starting with 13–19, e.g. 13800138000."),
        code="invalid_mobile",
    )


def normalize_cn_mobile(value: str) -> str:
    """Return the 11-digit mainland mobile number in `value`, or raise ValidationError.

    Accepts what people type: spaces, dashes, full-width digits and a +86 / 86 prefix.
    """
    digits = _SEPARATORS.sub("", (value or "").translate(_FULL_WIDTH))
    match = _MOBILE.fullmatch(digits)
    if not match:
        raise _invalid_mobile()
    return match.group(1)


def validate_cn_mobile(value: str) -> None:
    """A stored number: exactly what `normalize_cn_mobile` returns."""
    if not _STORED_MOBILE.fullmatch(value or ""):
        raise _invalid_mobile()


def normalize_cn_postcode(value: str) -> str:
    """Six ASCII digits (full-width ones translated), or "" for none; else ValidationError."""
    postcode = (value or "").translate(_FULL_WIDTH).strip()
    validate_cn_postcode(postcode)
    return postcode


def validate_cn_postcode(value: str) -> None:
    if value and not _POSTCODE.fullmatch(value):
        raise ValidationError(_("A postcode has 6 digits."), code="invalid_postcode")
