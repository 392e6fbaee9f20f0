from decimal import Decimal

from django.db.models import Sum

from shop.core import money

from .models import Refund

OPEN_OR_DONE = (Refund.Status.PENDING, Refund.Status.SUCCEEDED)


def refunded_or_pending(*, subject: str) -> Decimal:
    """Money refunded, or on its way back, for one subject (e.g. `order:12`)."""
    total = Refund.objects.filter(subject=subject, status__in=OPEN_OR_DONE).aggregate(
        total=Sum("amount")
    )["total"]
    return money.total(total)
