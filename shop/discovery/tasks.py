from celery import shared_task

from shop.core import jobs

from . import services


@shared_task
def recompute_charts_task() -> int | None:
    """Beat, every DISCOVERY_RECOMPUTE_SECONDS: pages read the charts, never the gifts."""
    run = jobs.run_once(services.RECOMPUTE_JOB, services.charts_recompute)
    return run.pk if run else None
