from celery import shared_task

from . import services


@shared_task
def purge_personal_data_task() -> int:
    """Beat, every PRIVACY_PURGE_SWEEP_SECONDS: mask what is past retention."""
    run = services.purge_run()
    return run.orders_purged + run.access_logs_deleted + run.deletions_completed
