from celery import shared_task

from shop.core.tasks import publish

from . import channels, selectors


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_notice_task(notice_id: int) -> None:
    """One try; a failed one is due again after its backoff, and the sweep sends it."""
    channels.deliver(notice_id)


@shared_task
def notices_send_due_task() -> int:
    """Beat, every NOTICE_SWEEP_SECONDS: queue every due notice (retries, and first tries
    whose message was lost while the broker was down)."""
    ids = selectors.due_notice_ids()
    for notice_id in ids:
        publish(send_notice_task, notice_id)
    return len(ids)
