"""Gift discovery tests compute charts for a fixed instant, so windows have exact edges."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shop.discovery import services


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def days_ago(now):
    """`days_ago(2)`: that long before the run; fractions allowed."""
    return lambda days: now - timedelta(days=days)


@pytest.fixture
def recompute(now, django_capture_on_commit_callbacks):
    """Run the recompute for `now`, as beat would: committed, so what waits for its commit
    (dropping the cached pages and charts) happens too."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return services.charts_recompute(now=now)

    return run
