"""Races on changes before shipping, on PostgreSQL with real threads (as in
test_concurrency.py): the merchant and the clock answering at once, a recipient asking
while the merchant ships, the merchant approving while someone ships."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from gifting import changes
from shop.catalogue.models import StockRecord
from shop.orders import services as orders
from shop.orders.models import ChangeRequest, Order
from shop.payments.models import Refund
from tests.changes import accepted_claim, other_variant
from tests.gifting.test_concurrency import _run_at_once

pytestmark = pytest.mark.django_db(transaction=True)
CR = ChangeRequest.Status
ROUNDS = 5


@pytest.fixture(autouse=True)
def _nothing_published(monkeypatch: pytest.MonkeyPatch) -> None:
    """No worker acts behind the test's back: publishing is dropped."""
    for module in ("shop.notices.services", "shop.payments.services", "shop.sandbox.provider"):
        monkeypatch.setattr(f"{module}.publish", lambda task, *args: True)


def _pending_variant_change(client) -> tuple[ChangeRequest, object]:
    claim = accepted_claim(client)
    cheaper = other_variant(claim, price="79.00", stock=5)
    with translation.override("en"):
        request = changes.variant_change_request(claim=claim, sku_id=cheaper.pk)
    return request, cheaper


def _wins(outcomes: list[object]) -> int:
    return sum(1 for outcome in outcomes if not isinstance(outcome, Exception))


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_approve_and_expire_racing_have_exactly_one_winner(client, round_) -> None:
    request, cheaper = _pending_variant_change(client)
    ChangeRequest.objects.filter(pk=request.pk).update(due_at=timezone.now() - timedelta(1))
    outcomes = _run_at_once(
        [
            lambda: changes.change_approve(request=ChangeRequest.objects.get(pk=request.pk)),
            lambda: changes.changes_resolve_due() or ValueError("nothing expired"),
        ]
    )
    assert _wins(outcomes) == 1, outcomes
    request.refresh_from_db()
    moved = StockRecord.objects.get(sku=cheaper).quantity == 4
    refunded = Refund.objects.filter(idempotency_key=changes.refund_key(request.pk)).exists()
    if request.status == CR.APPROVED:
        assert moved and refunded
    else:
        assert request.status == CR.EXPIRED and not moved and not refunded


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_asking_and_shipping_racing_have_exactly_one_winner(client, round_) -> None:
    claim = accepted_claim(client)
    cheaper = other_variant(claim, price="79.00")
    outcomes = _run_at_once(
        [
            lambda: changes.variant_change_request(claim=claim, sku_id=cheaper.pk),
            lambda: (
                orders.order_ship(
                    order=Order.objects.get(pk=claim.order_id), carrier="SF", tracking_number="SF1"
                )
                or True
            ),
        ]
    )
    assert _wins(outcomes) == 1, outcomes
    shipped = Order.objects.get(pk=claim.order_id).status == Order.Status.SHIPPED
    assert shipped != ChangeRequest.objects.filter(status=CR.PENDING).exists()


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_approve_and_ship_racing_never_ship_while_pending_nor_the_old_variant(
    client, round_
) -> None:
    """Ship loses to a pending request; it can only follow the approval, with the new SKU."""
    request, cheaper = _pending_variant_change(client)
    outcomes = _run_at_once(
        [
            lambda: changes.change_approve(request=ChangeRequest.objects.get(pk=request.pk)),
            lambda: (
                orders.order_ship(
                    order=Order.objects.get(pk=request.order_id),
                    carrier="SF",
                    tracking_number="SF1",
                )
                or True
            ),
        ]
    )
    approved, shipped = outcomes
    assert not isinstance(approved, Exception), approved
    request.refresh_from_db()
    order = Order.objects.get(pk=request.order_id)
    assert request.status == CR.APPROVED
    if isinstance(shipped, Exception):
        assert isinstance(shipped, orders.ChangePending)
        assert order.status == Order.Status.PAID
    else:
        assert order.shipped_at > request.decided_at
        assert order.lines.get().sku_id == cheaper.pk
