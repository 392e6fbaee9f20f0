"""The Unified Social Credit Code (统一社会信用代码), GB 32100-2015.

18 characters from a 31-character alphabet (digits and capitals without I, O, S, V, Z).
The last one is a check character: weights 3^i mod 31 over the first 17 positions,
check = 31 - (sum mod 31), where 31 counts as 0.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(value: str) -> str:
    """The code in capitals without spaces, or a ValidationError saying precisely what is wrong."""
    code = (value or "").replace(" ", "").replace("-", "").upper()
    if len(code) != 18:
        raise ValidationError(
            _("A Unified Social Credit Code has 18 characters; this one has %(count)d.")
            % {"count": len(code)},
            code="uscc_length",
        )
    bad = sorted({c for c in code if c not in ALPHABET})
    if bad:
        raise ValidationError(
            _(
                "%(chars)s cannot appear in a Unified Social Credit Code (I, O, S, V and Z are never used)."
            )
            % {"chars": ", ".join(bad)},
            code="uscc_characters",
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _("Characters 3 to 8 are the region code and must be digits."), code="uscc_region"
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _(
                "The check character (the last one) should be %(expected)s, not %(given)s: please check the code for a typo."
            )
            % {"expected": expected, "given": code[17]},
            code="uscc_check",
        )
    return code


def validate_uscc(value: str) -> None:
    normalize_uscc(value)
