from celery import shared_task

from shop.core import jobs

from . import services


@shared_task
def idempotency_records_prune() -> int | None:
    return jobs.run_once(services.PRUNE_JOB, services.idempotency_records_prune)
