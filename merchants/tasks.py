from celery import shared_task

from . import imports


@shared_task(acks_late=True)
def import_job_check_task(job_id: int) -> None:
    """Check an import file's rows (the dry run); the job records progress and result."""
    imports.import_job_check(job_id=job_id)


@shared_task(acks_late=True)
def import_job_apply_task(job_id: int) -> None:
    """Apply a checked import file in one transaction."""
    imports.import_job_run(job_id=job_id)
