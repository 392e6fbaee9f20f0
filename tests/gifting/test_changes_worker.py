"""The real worker answers what merchants left unanswered: the beat task, run by a Celery
worker process on the committed data."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from gifting import changes
from gifting.tasks import resolve_due_changes_task
from shop.orders.models import ChangeRequest, Order
from tests.changes import NEW_ADDRESS, accepted_claim, other_variant
from tests.conftest import wait_until

CR = ChangeRequest.Status


@pytest.fixture(autouse=True)
def _sandbox_notifications_not_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in test_worker.py: nothing of this test listens for the sandbox's notifications."""
    monkeypatch.setattr("shop.sandbox.provider.publish", lambda task, *args: True)


def _overdue(request: ChangeRequest) -> None:
    ChangeRequest.objects.filter(pk=request.pk).update(due_at=timezone.now() - timedelta(seconds=1))


def _status(request: ChangeRequest) -> str:
    return ChangeRequest.objects.values_list("status", flat=True).get(pk=request.pk)


def test_the_worker_sweep_rejects_an_unanswered_variant_change(celery_worker, client) -> None:
    claim = accepted_claim(client)
    with translation.override("en"):
        request = changes.variant_change_request(
            claim=claim, sku_id=other_variant(claim, price="79.00").pk
        )
    _overdue(request)
    resolve_due_changes_task.delay()
    assert wait_until(lambda: _status(request) == CR.EXPIRED)
    assert claim.order.lines.get().sku_id == claim.sku_id


def test_the_worker_sweep_approves_an_unanswered_address_change(celery_worker, client) -> None:
    claim = accepted_claim(client)
    with translation.override("en"):
        request = changes.address_change_request(claim=claim, address=NEW_ADDRESS)
    _overdue(request)
    resolve_due_changes_task.delay()
    assert wait_until(lambda: _status(request) == CR.APPROVED)
    assert Order.objects.get(pk=claim.order_id).street == NEW_ADDRESS["street"]
