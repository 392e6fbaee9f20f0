"""Rows a worker sends with retries (webhook deliveries, notices): who holds one, and when
it is due again.

A worker takes a row with a compare-and-set on its lease (`locked_until`), so a task and
the beat's sweep never work the same row at once; a worker killed mid-send lets the lease
lapse and the sweep takes the row again: at least once, never twice at the same time.
Models using this have `locked_until`, `next_attempt_at` and `attempts` columns.
"""

from datetime import datetime, timedelta

from django.db.models import F, Q, QuerySet
from django.utils import timezone


def doubling(base: int, attempts: int, cap: int) -> int:
    """Seconds until the next try: base, 2×base, 4×base … from the first failure, capped."""
    return min(base * 2 ** max(attempts - 1, 0), cap)


def unheld(now: datetime) -> Q:
    """Rows no worker holds, a lapsed lease included."""
    return Q(locked_until__isnull=True) | Q(locked_until__lt=now)


def take(due: QuerySet, pk: int, seconds: int) -> bool:
    """Hold row `pk` of `due` for `seconds` and count the attempt, if it is due and unheld."""
    now = timezone.now()
    return (
        due.filter(unheld(now), pk=pk, next_attempt_at__lte=now).update(
            locked_until=now + timedelta(seconds=seconds), attempts=F("attempts") + 1
        )
        == 1
    )
