"""The Unified Social Credit Code (统一社会信用代码, GB 32100-2015) validator."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from merchants.uscc import check_character, normalize_uscc, validate_uscc

# GB 32100-2015, table 3: the weights of positions 1 to 17, written out (not computed) so
# the test does not share the code's arithmetic.
STANDARD_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
STANDARD_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

VALID = ["91350100M000100Y43", "91110000600037341L"]


@pytest.fixture(autouse=True)
def _english() -> None:
    with translation.override("en"):
        yield


def _reference_check(first17: str) -> str:
    total = sum(
        STANDARD_ALPHABET.index(c) * w for c, w in zip(first17, STANDARD_WEIGHTS, strict=True)
    )
    return STANDARD_ALPHABET[(31 - total % 31) % 31]


def _error(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        normalize_uscc(value)
    return caught.value


@pytest.mark.parametrize("code", VALID)
def test_real_codes_are_valid(code: str) -> None:
    assert normalize_uscc(code) == code
    validate_uscc(code)  # does not raise
    assert _reference_check(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("91350100m000100y43", "91350100M000100Y43"),
        (" 9135 0100 M000 100Y 43 ", "91350100M000100Y43"),
        ("911100006000-37341l", "91110000600037341L"),
    ],
)
def test_lowercase_spaces_and_dashes_are_accepted_and_normalised(
    typed: str, normalised: str
) -> None:
    assert normalize_uscc(typed) == normalised


@pytest.mark.parametrize(
    "first17", ["91350100M000100Y4", "91110000600037341", "12100000400000624", "9144030071526726X"]
)
def test_the_check_character_matches_the_standards_weights(first17: str) -> None:
    assert check_character(first17) == _reference_check(first17)


@pytest.mark.parametrize(
    ("value", "count"),
    [("91350100M000100Y4", 17), ("91350100M000100Y433", 19), ("", 0), ("9135", 4)],
)
def test_a_wrong_length_says_how_many_characters_there_are(value: str, count: int) -> None:
    error = _error(value)
    assert error.code == "uscc_length"
    assert error.messages == [
        f"A Unified Social Credit Code has 18 characters; this one has {count}."
    ]


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_each_forbidden_letter_is_named(letter: str) -> None:
    code = "91350100M000100Y43"
    bad = code[:9] + letter + code[10:]  # position 10 is part of the organisation code
    error = _error(bad)
    assert error.code == "uscc_characters"
    assert error.messages == [
        f"{letter} cannot appear in a Unified Social Credit Code (I, O, S, V and Z are never used)."
    ]


def test_a_lowercase_forbidden_letter_is_named_in_capitals_and_several_are_listed() -> None:
    error = _error("91350100o0001i0Y43")
    assert error.messages == [
        "I, O cannot appear in a Unified Social Credit Code (I, O, S, V and Z are never used)."
    ]


def test_punctuation_is_a_forbidden_character() -> None:
    assert _error("91350100M000100Y4*").code == "uscc_characters"


@pytest.mark.parametrize("region", ["A50100", "35010B", "XY0100"])
def test_a_region_code_with_letters_is_refused(region: str) -> None:
    code = "91" + region + "M000100Y4"
    code += check_character(code)  # a correct check character: only the region is wrong
    error = _error(code)
    assert error.code == "uscc_region"
    assert error.messages == ["Characters 3 to 8 are the region code and must be digits."]


@pytest.mark.parametrize(
    ("value", "expected", "given"),
    [
        ("91350100M000100Y44", "3", "4"),
        ("91110000600037341K", "L", "K"),
        ("913501000000000000", "H", "0"),
    ],
)
def test_a_wrong_check_character_names_the_expected_one(
    value: str, expected: str, given: str
) -> None:
    assert _reference_check(value[:17]) == expected
    error = _error(value)
    assert error.code == "uscc_check"
    assert error.messages == [
        f"The check character (the last one) should be {expected}, not {given}: "
        "please check the code for a typo."
    ]


def test_a_single_typo_anywhere_is_caught() -> None:
    """Changing any one of the first 17 characters makes the check character wrong."""
    code = VALID[0]
    for position in range(17):
        for replacement in "0123456789ABCDEFGHJKLMNPQRTUWXY":
            typo = code[:position] + replacement + code[position + 1 :]
            if typo != code:
                with pytest.raises(ValidationError):
                    normalize_uscc(typo)
