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
def recompute(now):
    """Run the recompute for `now`, as beat would."""
    return lambda: services.charts_recompute(now=now)
