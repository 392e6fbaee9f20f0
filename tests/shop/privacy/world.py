"""Delivered and ended orders and gift claims, back-dated, for the retention tests."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from gifting.models import Gift
from shop.orders.models import Order
from tests.factories import GiftClaimFactory, GiftFactory, OrderFactory


def ago(days: float) -> object:
    return timezone.now() - timedelta(days=days)


def delivered(days_ago: float) -> dict:
    """The fields of an order delivered `days_ago` days ago."""
    return {
        "status": Order.Status.COMPLETED,
        "carrier": "顺丰",
        "tracking_number": "SF1234567890",
        "shipped_at": ago(days_ago + 2),
        "delivered_at": ago(days_ago),
    }


def delivered_order(days_ago: float, **fields: object) -> Order:
    return OrderFactory(**delivered(days_ago), **fields)


def gift_claims(*order_fields: dict, phones: list[str] | None = None) -> list:
    """One accepted gift with a claim per `order_fields` (its order's state)."""
    with transaction.atomic():  # the claims match the units claimed when it commits
        gift = GiftFactory(
            quantity=len(order_fields),
            units_claimed=len(order_fields),
            status=Gift.Status.ACCEPTED,
            paid_at=ago(200),
        )
        claims = []
        for n, fields in enumerate(order_fields):
            extra = {"phone": phones[n]} if phones else {}
            claims.append(
                GiftClaimFactory(
                    gift=gift,
                    street=f"文三路 {n + 1} 号 301 室",
                    **extra,
                    **{f"order__{k}": v for k, v in fields.items()},
                )
            )
    for claim in claims:  # the order carries the same address, as a claim's order does
        Order.objects.filter(pk=claim.order_id).update(
            recipient_name=claim.recipient_name, phone=claim.phone, street=claim.street
        )
    return claims


def ended(order: Order, days_ago: float) -> Order:
    """Back-date everything that happened to an undelivered order."""
    Order.objects.filter(pk=order.pk).update(created_at=ago(days_ago))
    order.events.update(created_at=ago(days_ago))
    return order
