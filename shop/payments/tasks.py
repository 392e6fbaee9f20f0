from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from shop.core.tasks import publish

from . import services
from .gateway import GatewayTimeout
from .models import Refund


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(GatewayTimeout,),
    retry_backoff=2,
    retry_backoff_max=300,
    max_retries=12,
)
def refund_execute_task(self, refund_id: int) -> None:
    """Idempotent by construction (fixed provider key, compare-and-set), so late acks are safe."""
    services.refund_execute(refund_id=refund_id)


@shared_task
def refunds_resume_stuck() -> None:
    """Safety net: re-queue refunds still pending after a while (lost publish, dead worker)."""
    cutoff = timezone.now() - timedelta(seconds=settings.REFUND_RESUME_AFTER_SECONDS)
    stuck = Refund.objects.filter(status=Refund.Status.PENDING, created_at__lt=cutoff)
    for refund_id in stuck.values_list("pk", flat=True)[:500]:
        publish(refund_execute_task, refund_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def refunds_execute_task(refund_ids: list[int]) -> None:
    """A batch of refunds (the gift expiry sweep queues hundreds at once).

    One that times out is handed to the single-refund task, which retries with backoff.
    """
    for refund_id in refund_ids:
        try:
            services.refund_execute(refund_id=refund_id)
        except GatewayTimeout:
            publish(refund_execute_task, refund_id)
