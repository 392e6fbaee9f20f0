"""CSV exports that a spreadsheet program opens as data, never as formulas.

Cells come from people outside the shop (a recipient's city, a shop name, a tracking
number); a text starting with `=`, `+`, `-`, `@`, a tab or a carriage return would be run
as a formula by Excel, LibreOffice or Numbers (`=HYPERLINK(...)` leaks data, `=cmd|...`
runs programs). Such a text is written with a leading single quote, which the spreadsheet
shows as text (OWASP, CSV injection). Numbers (int, Decimal, float) are written as they
are, so a negative amount stays a number the merchant can sum; text that merely looks
like a negative number (`-5` typed as a city) is text, and is quoted like any other.
"""

import csv
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def csv_cell(value: object) -> object:
    """`value` as a CSV cell that is never a formula: numbers as they are, text quoted."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal):  # bool is an int: written as True/False
        return value
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class CsvWriter:
    """`csv.writer`, with every cell passed through `csv_cell`."""

    def __init__(self, file: _Writable) -> None:
        self._writer = csv.writer(file)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([csv_cell(value) for value in row])
