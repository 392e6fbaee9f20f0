"""Stock: the catalogue's units on hand, taken and given back by orders and gifts.

Each change is one guarded UPDATE (`quantity = quantity - n WHERE quantity >= n`), so stock
never goes negative (the `stock_never_negative` constraint backs this up) and a buyer who
loses the race learns it from the return value. Callers that touch several SKUs do so in
SKU order, so concurrent checkouts and sweeps never deadlock.
"""

from django.db.models import F

from .models import StockRecord


def reserve(*, sku_id: int, quantity: int) -> bool:
    """Take `quantity` units if that many are left; False (and nothing taken) if not."""
    return (
        StockRecord.objects.filter(sku_id=sku_id, quantity__gte=quantity).update(
            quantity=F("quantity") - quantity
        )
        == 1
    )


def release(*, sku_id: int, quantity: int) -> None:
    StockRecord.objects.filter(sku_id=sku_id).update(quantity=F("quantity") + quantity)
