"""Money is Decimal yuan with two places (CNY), never float."""

from decimal import ROUND_HALF_UP, Decimal

CURRENCY = "CNY"
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def quantize(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def total(amount: Decimal | None) -> Decimal:
    """A database sum of money as money: ¥0.00 when there was nothing to add up.

    SQLite adds decimals up in floating point and Django hands the sum back with 15
    significant digits (`Decimal('3340.37999999999')`); an `output_field` does not change
    that, so every sum goes through here, on every backend.
    """
    return ZERO if amount is None else quantize(Decimal(amount))


def format_cny(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    return f"¥{quantize(Decimal(amount)):,}"
