"""Money is Decimal yuan with two places (CNY), never float."""

from decimal import ROUND_HALF_UP, Decimal

CURRENCY = "CNY"
CENT = Decimal("0.01")


def quantize(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_cny(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    return f"¥{quantize(Decimal(amount)):,}"
