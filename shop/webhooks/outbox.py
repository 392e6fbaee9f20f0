"""The outbox: event rows and a delivery row per subscribed endpoint.

Written in the transaction of the change they report, so a broker outage loses nothing:
the delivery rows are the record, and the beat sweep sends what a lost publish did not.
Each event gets a stable public id for the receiver to de-duplicate by, since delivery
is at least once.
"""

import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from shop.core.tasks import publish
from shop.partners.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

from .delivery import mark_queued
from .tasks import webhook_deliver_task


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
    mark_queued([pk for pk in delivery_ids if publish(webhook_deliver_task, pk)])
