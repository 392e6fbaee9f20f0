"""Validators for Chinese personal data: mobile numbers and postcodes."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
_SEPARATORS = re.compile(r"[\s\-()]")
_POSTCODE = re.compile(r"^\d{6}$")


def normalize_cn_mobile(value: str) -> str:
    """Return the 11-digit mainland mobile number in `value`, or raise ValidationError.

    Accepts what people type: spaces, dashes and a +86 / 86 country prefix.
    """
    digits = _SEPARATORS.sub("", value or "")
    match = _MOBILE.match(digits)
    if not match:
        raise ValidationError(
            _("Enter an 11-digit mainland mobile number starting with 13–19, e.g. 13800138000."),
            code="invalid_mobile",
        )
    return match.group(1)


def validate_cn_mobile(value: str) -> None:
    normalize_cn_mobile(value)


def validate_cn_postcode(value: str) -> None:
    if value and not _POSTCODE.match(value):
        raise ValidationError(_("A postcode has 6 digits."), code="invalid_postcode")
