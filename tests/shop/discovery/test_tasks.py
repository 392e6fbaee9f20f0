"""The recompute runs on beat, in a real worker (see tests/conftest.py), never on a page."""

from pathlib import Path

from django.conf import settings as django_settings
from django.utils import timezone

from shop.discovery import selectors
from shop.discovery.models import ChartRun
from shop.discovery.tasks import recompute_charts_task
from tests.conftest import wait_until
from tests.factories import SkuFactory
from tests.gifts import gift_history
from tests.workers import log_tail, start_beat


def test_beat_schedules_the_recompute_every_configured_interval() -> None:
    entry = django_settings.CELERY_BEAT_SCHEDULE["recompute-gift-charts"]

    assert entry["task"] == recompute_charts_task.name
    assert entry["schedule"] == django_settings.DISCOVERY_RECOMPUTE_SECONDS


def test_beat_has_the_worker_recompute_the_charts(celery_worker, settings, tmp_path: Path) -> None:
    sku = SkuFactory()
    gift_history(sku, when=timezone.now(), units=2)
    beat, log = start_beat(tmp_path, settings.CELERY_BROKER_URL, DISCOVERY_RECOMPUTE_SECONDS="1")
    try:
        assert wait_until(lambda: ChartRun.objects.exists(), timeout=20), log_tail(log)
    finally:
        beat.terminate()
        beat.wait(timeout=15)

    assert "Sending due task recompute-gift-charts" in log.read_text(errors="replace")
    assert [(e.product_id, e.accepted_units) for e in selectors.gift_chart()] == [
        (sku.product_id, 2)
    ]
