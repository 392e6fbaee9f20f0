import pytest
from django.core.exceptions import ValidationError

from shop.core.validators import (
    normalize_cn_mobile,
    normalize_cn_postcode,
    validate_cn_mobile,
    validate_cn_postcode,
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("86-139-1234-5678", "13912345678"),
        ("+8619912345678", "19912345678"),
        ("１３９１２３４５６７８", "13912345678"),
        ("＋８６ １３９－１２３４－５６７８", "13912345678"),
        ("139\u30001234\u30005678", "13912345678"),
        ("139\u20131234\u20145678", "13912345678"),
    ],
)
def test_mobile_numbers_are_normalised_to_eleven_digits(typed: str, stored: str) -> None:
    assert normalize_cn_mobile(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "1380013800",
        "138001380001",
        "12800138000",
        "23800138000",
        "+1 415 555 0100",
        "abc",
        "١٣٩١٢٣٤٥٦٧٨",  # Arabic-Indic
        "۱۳۹۱۲۳۴۵۶۷۸",  # Extended Arabic-Indic (Persian)
        "१३९१२३४५६७८",  # Devanagari
        "139१२३४५६७८",  # mixed scripts
    ],
)
def test_invalid_mobile_numbers_are_refused(typed: str) -> None:
    with pytest.raises(ValidationError):
        normalize_cn_mobile(typed)


def test_postcode_must_have_six_digits() -> None:
    validate_cn_postcode("310000")
    validate_cn_postcode("")
    with pytest.raises(ValidationError):
        validate_cn_postcode("31000")


@pytest.mark.parametrize(
    "stored", ["139 1234 5678", "+8613912345678", "１３９１２３４５６７８", ""]
)
def test_a_stored_mobile_number_is_eleven_ascii_digits(stored: str) -> None:
    validate_cn_mobile("13912345678")
    with pytest.raises(ValidationError) as refused:
        validate_cn_mobile(stored)
    assert refused.value.code == "invalid_mobile"


def test_full_width_postcode_digits_are_stored_as_ascii() -> None:
    assert normalize_cn_postcode("３１００００") == "310000"
    assert normalize_cn_postcode(" ") == ""


@pytest.mark.parametrize("typed", ["٣١٠٠٠٠", "३१००००", "31000a"])
def test_postcodes_in_other_scripts_are_refused(typed: str) -> None:
    with pytest.raises(ValidationError) as refused:
        normalize_cn_postcode(typed)
    assert refused.value.code == "invalid_postcode"
