from celery import shared_task

from . import services


@shared_task
def recompute_charts_task() -> int:
    """Beat, every DISCOVERY_RECOMPUTE_SECONDS: pages read the charts, never the gifts."""
    return services.charts_recompute().pk
