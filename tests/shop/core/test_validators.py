import pytest
from django.core.exceptions import ValidationError

from shop.core.validators import normalize_cn_mobile, validate_cn_postcode


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("86-139-1234-5678", "13912345678"),
        ("+8619912345678", "19912345678"),
    ],
)
def test_mobile_numbers_are_normalised_to_eleven_digits(typed: str, stored: str) -> None:
    assert normalize_cn_mobile(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["", "1380013800", "138001380001", "12800138000", "23800138000", "+1 415 555 0100", "abc"],
)
def test_invalid_mobile_numbers_are_refused(typed: str) -> None:
    with pytest.raises(ValidationError):
        normalize_cn_mobile(typed)


def test_postcode_must_have_six_digits() -> None:
    validate_cn_postcode("310000")
    validate_cn_postcode("")
    with pytest.raises(ValidationError):
        validate_cn_postcode("31000")
