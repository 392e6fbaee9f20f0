from celery import shared_task

from shop.core.tasks import publish

from . import services
from .gateway import GatewayTimeout


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
    """Beat, every minute: re-queue refunds still pending after a while."""
    services.refunds_publish(services.refunds_stuck())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def refunds_execute_task(refund_ids: list[int]) -> None:
    """A batch of refunds (the gift expiry sweep queues them 100 at a time).

    Those whose outcome is unknown (timeouts) go to the single-refund task, which
    retries each with backoff.
    """
    for refund_id in services.refunds_execute_isolated(refund_ids):
        publish(refund_execute_task, refund_id)
