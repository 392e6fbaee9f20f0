"""Delivery tasks. Their names are the ones they had under `shop.partners.tasks`, so
messages already queued and the beat schedule still find them."""

from celery import shared_task

from shop.core import jobs
from shop.core.tasks import publish

from . import delivery


@shared_task(
    name="shop.partners.tasks.webhook_deliver_task", acks_late=True, reject_on_worker_lost=True
)
def webhook_deliver_task(delivery_id: int) -> None:
    """One attempt. A failed one is due again after its backoff; the sweep sends it. One
    that raises (a payload that cannot be built) is retried with backoff, then parked."""
    jobs.run_each(delivery.DELIVERY_JOB, [delivery_id], delivery.deliver, key=int, atomic=False)


@shared_task(name="shop.partners.tasks.webhooks_deliver_due")
def webhooks_deliver_due() -> int:
    """Beat, every WEBHOOK_SWEEP_SECONDS: send every due delivery (retries, and first
    attempts whose message was lost while the broker was down)."""
    ids = delivery.due_delivery_ids()
    delivery.mark_queued([pk for pk in ids if publish(webhook_deliver_task, pk)])
    return len(ids)
