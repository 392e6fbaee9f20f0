"""No item stops a batch: how every periodic job isolates the rows it cannot process.

A sweep asks `held_back(job)` which items to leave out this round, processes the rest, and
reports each failure with `failed` (or lets `run_each` do both). A failed item is retried
with exponential backoff (`JOB_RETRY_BASE_SECONDS` doubling up to `JOB_RETRY_MAX_SECONDS`)
and after `JOB_MAX_ATTEMPTS` failures it is parked: left out until an operator retries it
from the admin. Success deletes the item's record. The rest of the batch is committed
either way.

Jobs register themselves (`define`) with a label for operators and, where retrying needs
more than "try again on the next sweep", a `retry` hook (a failed refund is reopened).
This module imports no domain app: domain services call it.
"""

import contextlib
import logging
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import leases
from .models import JobItem

logger = logging.getLogger(__name__)
T = TypeVar("T")
ERROR_KEPT_CHARS = 4000


@dataclass(frozen=True)
class Job:
    name: str
    label: str
    model: str | None = None  # "app_label.model" of its items, for the admin's link
    retry: Callable[[int], None] | None = None


JOBS: dict[str, Job] = {}


def define(
    name: str, label: str, *, model: str | None = None, retry: Callable[[int], None] | None = None
) -> str:
    """Register a job (at import of the module that runs it); returns its name."""
    JOBS[name] = Job(name, label, model, retry)
    return name


def held_back(job: str) -> QuerySet:
    """Ids of the job's items to skip now (backing off, or parked): use in `exclude(pk__in=…)`."""
    return JobItem.objects.filter(
        Q(status=JobItem.Status.PARKED) | Q(retry_at__gt=timezone.now()), job=job
    ).values("item_id")


def is_held_back(job: str, item_id: int = 0) -> bool:
    return held_back(job).filter(item_id=item_id).exists()


def backoff_seconds(attempts: int) -> int:
    return leases.doubling(
        settings.JOB_RETRY_BASE_SECONDS, attempts, settings.JOB_RETRY_MAX_SECONDS
    )


def failed(job: str, item_id: int, error: BaseException | str, *, park: bool = False) -> JobItem:
    """Record one failure of an item: back off, or park it (at once with `park`)."""
    # The end of a traceback says what failed: keep that when it is too long.
    text = (error if isinstance(error, str) else _describe(error))[-ERROR_KEPT_CHARS:]
    now = timezone.now()
    with transaction.atomic():
        item, created = JobItem.objects.select_for_update().get_or_create(
            job=job,
            item_id=item_id,
            defaults={
                "attempts": 1,
                "error": text,
                "first_failed_at": now,
                "last_failed_at": now,
                "retry_at": now,
            },
        )
        if not created:
            item.attempts += 1
        item.error, item.last_failed_at = text, now
        if park or item.attempts >= settings.JOB_MAX_ATTEMPTS:
            item.status, item.retry_at = JobItem.Status.PARKED, None
        else:
            item.status = JobItem.Status.RETRYING
            item.retry_at = now + timedelta(seconds=backoff_seconds(item.attempts))
        item.save()
    last_line = text.strip().splitlines()[-1] if text.strip() else ""
    if item.status == JobItem.Status.PARKED:
        logger.error(
            "%s: item %s parked after %s failures: %s", job, item_id, item.attempts, last_line
        )
    else:
        logger.warning(
            "%s: item %s failed (%s), retrying at %s: %s",
            job,
            item_id,
            item.attempts,
            item.retry_at,
            last_line,
        )
    return item


def succeeded(job: str, item_ids: Iterable[int]) -> None:
    """Forget earlier failures of items that have now gone through (one statement)."""
    ids = list(item_ids)
    if ids:
        JobItem.objects.filter(job=job, item_id__in=ids).delete()


def run_each(
    job: str,
    items: Iterable[T],
    work: Callable[[T], object],
    *,
    key: Callable[[T], int],
    atomic: bool = True,
) -> int:
    """Process each item in its own transaction; returns how many `work` did something for
    (returned a truthy value).

    A failure rolls back only that item's transaction and is recorded; the others commit.
    Work that talks to the network between its own short transactions (a webhook POST)
    passes `atomic=False`, so no transaction stays open while it waits.
    """
    changed, ok = 0, []
    for item in items:
        try:
            with transaction.atomic() if atomic else contextlib.nullcontext():
                changed += bool(work(item))
        except Exception as error:
            failed(job, key(item), error)
        else:
            ok.append(key(item))
    succeeded(job, ok)
    return changed


def run_once(job: str, work: Callable[[], T]) -> T | None:
    """A job that is one unit of work (a recompute, a cleanup): isolated the same way."""
    if is_held_back(job):
        return None
    try:
        with transaction.atomic():
            result = work()
    except Exception as error:
        failed(job, 0, error)
        return None
    succeeded(job, [0])
    return result


def retry(item: JobItem) -> None:
    """The operator's "retry now": the job's hook reopens the work, the next sweep takes it."""
    hook = JOBS[item.job].retry if item.job in JOBS else None
    with transaction.atomic():
        if hook is not None:
            hook(item.item_id)
        JobItem.objects.filter(pk=item.pk).update(
            status=JobItem.Status.RETRYING, retry_at=timezone.now()
        )


def parked_count() -> int:
    return JobItem.objects.filter(status=JobItem.Status.PARKED).count()


def _describe(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)).strip()
