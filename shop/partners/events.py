"""Webhook events: written to the outbox in the transaction of the change they report.

The services that change orders, gifts, applications and products call these functions
inside their own transaction, so an event exists exactly when its change committed (a
broker outage loses nothing: the delivery rows are the record, and the beat sweep sends
what a lost publish did not). Each event gets a stable public id for the receiver to
de-duplicate by, since delivery is at least once.

An event goes to the partners concerned: the partner that sent a gift, that submitted an
application, or that manages the merchant an order or product belongs to. Nothing is
written when no partner is concerned, which is the common case for storefront traffic.
"""

import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from shop.core.tasks import publish

from .models import Partner, WebhookDelivery, WebhookEndpoint, WebhookEvent

ORDER_PAID = "order.paid"
ORDER_SHIPPED = "order.shipped"
GIFT_ACCEPTED = "gift.accepted"
GIFT_DECLINED = "gift.declined"
GIFT_EXPIRED = "gift.expired"
GIFT_CANCELLED = "gift.cancelled"
GIFT_REFUNDED = "gift.refunded"
GIFT_SHIPPED = "gift.shipped"
APPLICATION_APPROVED = "merchant_application.approved"
APPLICATION_REJECTED = "merchant_application.rejected"
PRODUCT_APPROVED = "product.approved"
PRODUCT_REJECTED = "product.rejected"

EVENT_TYPES = (
    ORDER_PAID,
    ORDER_SHIPPED,
    GIFT_ACCEPTED,
    GIFT_DECLINED,
    GIFT_EXPIRED,
    GIFT_CANCELLED,
    GIFT_REFUNDED,
    GIFT_SHIPPED,
    APPLICATION_APPROVED,
    APPLICATION_REJECTED,
    PRODUCT_APPROVED,
    PRODUCT_REJECTED,
)


def new_event_id() -> str:
    return f"evt_{secrets.token_hex(12)}"


def emit(items: Iterable[tuple[int, str, dict]]) -> list[WebhookEvent]:
    """Write (partner id, type, data) events and a delivery per subscribed endpoint.

    A fixed number of statements however many events: the expiry sweep emits a batch.
    """
    events = [
        WebhookEvent(public_id=new_event_id(), partner_id=partner_id, type=kind, data=data)
        for partner_id, kind, data in items
    ]
    if not events:
        return []
    WebhookEvent.objects.bulk_create(events)
    endpoints: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(
        partner_id__in={e.partner_id for e in events}, is_active=True
    ):
        endpoints.setdefault(endpoint.partner_id, []).append(endpoint)
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(event=event, endpoint=endpoint, next_attempt_at=now)
        for event in events
        for endpoint in endpoints.get(event.partner_id, [])
        if event.type in endpoint.events
    )
    if deliveries:
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: _publish(ids))
    return events


def _publish(delivery_ids: list[int]) -> None:
    from .tasks import webhook_deliver_task

    for delivery_id in delivery_ids:
        publish(webhook_deliver_task, delivery_id)


def partners_of_merchant(merchant_id: int) -> list[int]:
    return list(
        Partner.merchants.through.objects.filter(merchant_id=merchant_id).values_list(
            "partner_id", flat=True
        )
    )


# --- What each change reports -----------------------------------------------------------


def order_event(order: object, kind: str) -> None:
    """order.paid / order.shipped to the partners managing the order's merchant; a gift's
    shipment is also gift.shipped to the partner that sent it."""
    from shop.api.representations import gifts_data, order_data

    items = []
    partner_ids = partners_of_merchant(order.merchant_id)
    if partner_ids:
        data = order_data(order)
        items += [(partner_id, kind, data) for partner_id in partner_ids]
    if kind == ORDER_SHIPPED:
        from gifting.models import Gift

        gift = Gift.objects.filter(claims__order=order, partner__isnull=False).first()
        if gift is not None:  # a gift a partner sent: its parcel is on its way
            items += [
                (partner_id, GIFT_SHIPPED, data) for partner_id, data in gifts_data([gift.pk])
            ]
    emit(items)


def gift_events(gift_ids: list[int], kind: str) -> None:
    """A gift event for each of these gifts that a partner sent (others are skipped).

    Most gifts are the storefront's: a plain look-up finds the partners' ones first, so
    the refund path does not build their full representation for nothing.
    """
    from gifting.models import Gift
    from shop.api.representations import gifts_data

    sent_by_partners = list(
        Gift.objects.filter(pk__in=gift_ids, partner__isnull=False).values_list("pk", flat=True)
    )
    if sent_by_partners:
        emit((partner_id, kind, data) for partner_id, data in gifts_data(sent_by_partners))


def application_event(application: object, kind: str) -> None:
    from shop.api.representations import application_data

    if application.partner_id:
        emit([(application.partner_id, kind, application_data(application))])


def product_event(product: object, kind: str) -> None:
    from shop.api.representations import product_data

    partner_ids = partners_of_merchant(product.merchant_id)
    if partner_ids:
        data = product_data(product)
        emit((partner_id, kind, data) for partner_id in partner_ids)
