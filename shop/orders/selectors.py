from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse

from shop.accounts.models import User

from .models import Order, OrderEvent, RefundRequest


def order_list(*, user: User) -> QuerySet[Order]:
    return (
        Order.objects.filter(user=user)
        .select_related("merchant", "payment")
        .prefetch_related("lines")
        .order_by("-created_at", "-pk")
    )


def order_get(*, user: User, number: str) -> Order:
    """One of the user's own orders; anyone else's number is a 404."""
    queryset = Order.objects.select_related("merchant", "payment").prefetch_related(
        "lines",
        Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "pk")),
        Prefetch("refund_requests", queryset=RefundRequest.objects.order_by("-created_at")),
    )
    return get_object_or_404(queryset, user=user, number=number)


def orders_for_payment(*, user: User, reference: str) -> list[Order]:
    return list(
        Order.objects.filter(user=user, payment__reference=reference)
        .select_related("merchant", "payment")
        .order_by("pk")
    )


def payment_return_path(payment: object) -> str:
    """Where a shopper comes back to after paying for orders (see payments.selectors)."""
    return reverse("orders:payment", args=[payment.reference])
