"""shop.core.jobs: one bad item is retried with backoff, then parked; the others go on."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from shop.catalogue.models import Category
from shop.core import jobs
from shop.core.models import JobItem
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db
JOB = jobs.define("tests.rename", "Rename categories")


def _rename(category_id: int) -> bool:
    if category_id % 2:
        raise ValueError(f"category {category_id} cannot be renamed")
    return bool(Category.objects.filter(pk=category_id).update(name="renamed"))


def _categories(count: int) -> list[int]:
    ids: list[int] = []
    while len(ids) < count:
        ids.append(CategoryFactory().pk)
    return ids


def test_a_failing_item_rolls_back_alone_and_the_others_are_committed() -> None:
    ids = _categories(4)
    odd = [pk for pk in ids if pk % 2]

    done = jobs.run_each(JOB, ids, _rename, key=int)

    assert done == len(ids) - len(odd)
    assert set(Category.objects.filter(name="renamed").values_list("pk", flat=True)) == set(
        ids
    ) - set(odd)
    assert set(JobItem.objects.values_list("item_id", flat=True)) == set(odd)


def test_the_failure_keeps_its_traceback_and_a_next_try_after_the_backoff(settings) -> None:
    settings.JOB_RETRY_BASE_SECONDS = 60
    before = timezone.now()
    jobs.failed(JOB, 7, ValueError("boom"))

    item = JobItem.objects.get()
    assert "ValueError: boom" in item.error
    assert (item.attempts, item.status) == (1, JobItem.Status.RETRYING)
    assert before + timedelta(seconds=59) < item.retry_at < before + timedelta(seconds=61)


def test_backoff_doubles_up_to_its_cap(settings) -> None:
    settings.JOB_RETRY_BASE_SECONDS, settings.JOB_RETRY_MAX_SECONDS = 10, 50
    assert [jobs.backoff_seconds(n) for n in range(1, 6)] == [10, 20, 40, 50, 50]


def test_an_item_backing_off_is_held_back_and_one_due_again_is_not(settings) -> None:
    settings.JOB_RETRY_BASE_SECONDS = 60
    jobs.failed(JOB, 1, "later")
    jobs.failed(JOB, 2, "due")
    JobItem.objects.filter(item_id=2).update(retry_at=timezone.now() - timedelta(seconds=1))

    assert {row["item_id"] for row in jobs.held_back(JOB)} == {1}


def test_after_the_last_attempt_the_item_is_parked_for_operators(settings) -> None:
    settings.JOB_MAX_ATTEMPTS = 3
    for _ in range(3):
        jobs.failed(JOB, 5, "still broken")

    item = JobItem.objects.get()
    assert (item.attempts, item.status, item.retry_at) == (3, JobItem.Status.PARKED, None)
    assert jobs.is_held_back(JOB, 5)
    assert jobs.parked_count() == 1


def test_success_forgets_the_earlier_failures() -> None:
    (even,) = [pk for pk in _categories(2) if pk % 2 == 0]
    jobs.failed(JOB, even, "transient")
    JobItem.objects.update(retry_at=timezone.now())

    jobs.run_each(JOB, [even], _rename, key=int)

    assert not JobItem.objects.exists()


def test_retry_runs_the_jobs_hook_and_makes_the_item_due_now(settings) -> None:
    reopened: list[int] = []
    job = jobs.define("tests.hooked", "Hooked", retry=reopened.append)
    settings.JOB_MAX_ATTEMPTS = 1
    jobs.failed(job, 9, "refused")

    jobs.retry(JobItem.objects.get())

    item = JobItem.objects.get()
    assert reopened == [9]
    assert item.status == JobItem.Status.RETRYING and not jobs.is_held_back(job, 9)


def test_a_single_unit_job_that_fails_is_skipped_until_its_retry() -> None:
    calls: list[int] = []

    def work() -> int:
        calls.append(1)
        raise RuntimeError("recompute failed")

    assert jobs.run_once("tests.once", work) is None
    assert jobs.run_once("tests.once", work) is None
    assert len(calls) == 1
    assert "RuntimeError: recompute failed" in JobItem.objects.get(job="tests.once").error


def test_a_failed_items_record_survives_the_rollback_of_its_work() -> None:
    (odd,) = [pk for pk in _categories(2) if pk % 2]
    jobs.run_each(JOB, [odd], _rename, key=int)
    assert connection.in_atomic_block  # the test's own transaction, still usable
    assert JobItem.objects.filter(item_id=odd).exists()
