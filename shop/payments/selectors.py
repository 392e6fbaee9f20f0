from decimal import Decimal

from django.db.models import Sum
from django.utils.module_loading import import_string

from shop.core import money

from .models import Payment, Refund

OPEN_OR_DONE = (Refund.Status.PENDING, Refund.Status.SUCCEEDED)

# purpose → function(payment) giving the page the shopper comes back to after paying;
# looked up by dotted path so that payments imports no other app.
PAYMENT_RETURN_PATHS = {
    Payment.Purpose.ORDERS: "shop.orders.selectors.payment_return_path",
    Payment.Purpose.GIFT: "gifting.selectors.payment_return_path",
    Payment.Purpose.CHIP_IN: "gifting.chipin.selectors.payment_return_path",
}


def payment_for_payer(*, user: object, reference: str) -> Payment | None:
    return Payment.objects.filter(user=user, reference=reference).first()


def payment_return_path(payment: Payment) -> str:
    return import_string(PAYMENT_RETURN_PATHS[payment.purpose])(payment)


def refunded_or_pending(*, subject: str) -> Decimal:
    """Money refunded, or on its way back, for one subject (e.g. `order:12`)."""
    total = Refund.objects.filter(subject=subject, status__in=OPEN_OR_DONE).aggregate(
        total=Sum("amount")
    )["total"]
    return money.total(total)
