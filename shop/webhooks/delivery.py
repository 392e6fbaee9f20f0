"""Sending webhook deliveries: signed, at least once, backing off for up to 24 hours.

A delivery is claimed with a compare-and-set on its row (a short lease), so the task and
the beat sweep never send the same attempt twice at once; the lease expiring (a worker
killed mid-send) makes it due again, which is the "at least once". Receivers
de-duplicate by the event id, which is the same on every attempt.
"""

import http.client
import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from shop.core import jobs, leases, signing
from shop.partners.models import WebhookDelivery

from . import outbound

logger = logging.getLogger(__name__)

LEASE_SECONDS = 60
# A confirmed publish is left to its worker this long before the sweep publishes the
# delivery again (a message lost on the broker after its confirm).
QUEUED_LEASE_SECONDS = 300
GIVE_UP_AFTER = timedelta(hours=24)
MAX_BACKOFF_SECONDS = 3600
TIMEOUT_SECONDS = 10
RESPONSE_KEPT_CHARS = 2000


def body_for(delivery: WebhookDelivery) -> bytes:
    event = delivery.event
    return json.dumps(
        {
            "id": event.public_id,
            "type": event.type,
            "created": event.created_at.isoformat().replace("+00:00", "Z"),
            "data": event.data,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def backoff_seconds(attempts: int) -> int:
    """base, 2×base, 4×base … capped at an hour (base: WEBHOOK_RETRY_BASE_SECONDS)."""
    return leases.doubling(settings.WEBHOOK_RETRY_BASE_SECONDS, attempts, MAX_BACKOFF_SECONDS)


def _claim(delivery_id: int) -> bool:
    pending = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING)
    return leases.take(pending, delivery_id, LEASE_SECONDS)


def _post(target: outbound.Target, body: bytes, signature: str) -> tuple[int | None, str, str]:
    """(status, response text, error) for one HTTP attempt, to the checked addresses only."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GiftShop-Webhooks/1",
        "X-Signature": signature,
    }
    try:
        status, text = outbound.post(
            target, body, headers, timeout=TIMEOUT_SECONDS, keep_bytes=RESPONSE_KEPT_CHARS
        )
    except (OSError, ValueError, http.client.HTTPException) as error:
        return None, "", str(error)[:300]
    return status, text, ""


def deliver(delivery_id: int) -> str | None:
    """Make one attempt if the delivery is due and unclaimed; returns its new status.

    None means there was nothing to do (delivered, given up, or another worker has it).
    """
    if not _claim(delivery_id):
        return None
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    now = timezone.now()
    if not endpoint.is_active:
        return _finish(delivery, WebhookDelivery.Status.FAILED, error="Endpoint deleted.")
    body = body_for(delivery)
    try:
        target = outbound.resolve(endpoint.url, insecure=settings.WEBHOOK_ALLOW_INSECURE)
    except outbound.WebhookUrlError as error:
        status, text, failure = None, "", str(error)
    else:
        status, text, failure = _post(target, body, signing.sign(body, endpoint.secret))
    if status is not None and 200 <= status < 300:
        return _finish(delivery, WebhookDelivery.Status.SUCCEEDED, status=status, text=text)
    if now - delivery.event.created_at >= GIVE_UP_AFTER:
        return _finish(
            delivery, WebhookDelivery.Status.FAILED, status=status, text=text, error=failure
        )
    retry_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=retry_at,
        locked_until=None,
        queued_until=None,
        response_status=status,
        response_body=text,
        error=failure,
    )
    logger.info("Webhook %s got %s; retrying at %s", delivery.pk, status or failure, retry_at)
    return WebhookDelivery.Status.PENDING


def _finish(
    delivery: WebhookDelivery,
    outcome: str,
    *,
    status: int | None = None,
    text: str = "",
    error: str = "",
) -> str:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=outcome,
        locked_until=None,
        response_status=status,
        response_body=text,
        error=error,
        delivered_at=timezone.now() if outcome == WebhookDelivery.Status.SUCCEEDED else None,
    )
    return outcome


DELIVERY_JOB = jobs.define(
    "partners.webhook", gettext_noop("Send webhook deliveries"), model="partners.webhookdelivery"
)


def mark_queued(delivery_ids: list[int]) -> None:
    """Their messages are on the broker: the sweep skips them for QUEUED_LEASE_SECONDS."""
    if delivery_ids:
        WebhookDelivery.objects.filter(pk__in=delivery_ids).update(
            queued_until=timezone.now() + timedelta(seconds=QUEUED_LEASE_SECONDS)
        )


def due_delivery_ids(limit: int = 1000) -> list[int]:
    """Due, unclaimed, and with no message known to be on the broker (a first attempt
    whose publish failed, a retry whose time has come, a lease run out)."""
    now = timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            leases.unheld(now),
            Q(queued_until__isnull=True) | Q(queued_until__lt=now),
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=now,
        )
        .exclude(pk__in=jobs.held_back(DELIVERY_JOB))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
