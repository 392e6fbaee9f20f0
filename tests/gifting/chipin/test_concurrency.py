"""Chip-in races on PostgreSQL: last shares taken or paid at once, the last share against
the deadline. Each race has exactly one outcome, and the chip-in is never over-funded:
either funded in full (no refunds), or failed with every paid share refunded to its own
payment, once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from gifting.chipin import services
from gifting.chipin.services import ShareError
from gifting.models import ChipIn, Contribution, Gift, GiftEvent
from shop.catalogue.models import StockRecord
from shop.payments import services as payments
from shop.payments.models import Payment, Refund
from tests.chipins import create_chip_in
from tests.factories import UserFactory
from tests.races import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)
C = ChipIn.Status
CS = Contribution.Status


@pytest.fixture(autouse=True)
def published(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing reaches a worker: these races are about the ledger rows they leave."""
    monkeypatch.setattr("shop.payments.services.publish", lambda task, *args: True)
    monkeypatch.setattr("shop.notices.services.publish", lambda task, *args: True)


def _share(chip_in_id: int, amount: str):
    def take() -> Contribution:
        return services.contribute(
            chip_in=ChipIn.objects.select_related("gift__sku__product").get(pk=chip_in_id),
            user=UserFactory(),
            amount=amount,
            display_name="小红",
        )

    return take


def _paid(payment_id: int):
    """What a verified notification does: lock the payment, mark it paid, run the handler."""

    def confirm() -> bool:
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(pk=payment_id)
            return payments.payment_succeeded(
                payment=payment, provider_reference=f"ch_{payment_id}"
            )

    return confirm


def _assert_one_outcome(chip_in: ChipIn, stock_before: int) -> str:
    chip_in.refresh_from_db()
    gift = Gift.objects.get(pk=chip_in.gift_id)
    paid = list(Contribution.objects.filter(chip_in=chip_in, status=CS.PAID))
    refunds = {r.idempotency_key: (r.payment_id, r.amount) for r in Refund.objects.all()}
    stock = StockRecord.objects.get(sku_id=gift.sku_id).quantity
    assert chip_in.reserved <= chip_in.target
    if chip_in.status == C.FUNDED:
        assert gift.status == Gift.Status.AWAITING_RECIPIENT
        assert sum(c.amount for c in paid) == chip_in.target == chip_in.paid
        assert refunds == {}
        assert stock == stock_before - 1
        assert GiftEvent.objects.filter(gift=gift, kind=GiftEvent.Kind.FUNDED).count() == 1
    else:
        assert chip_in.status == C.FAILED
        assert gift.status == Gift.Status.ABANDONED
        assert refunds == {f"chipin:{c.pk}": (c.payment_id, c.amount) for c in paid}
        assert stock == stock_before
        assert not GiftEvent.objects.filter(gift=gift, kind=GiftEvent.Kind.FUNDED).exists()
    return chip_in.status


def test_two_last_shares_at_once_one_is_taken_the_other_refused() -> None:
    chip_in = create_chip_in(price="100.00")
    services.contribute(chip_in=chip_in, user=UserFactory(), amount="40", display_name="小明")
    outcomes = run_at_once([_share(chip_in.pk, "60"), _share(chip_in.pk, "60")])
    taken = [o for o in outcomes if isinstance(o, Contribution)]
    refused = [o for o in outcomes if isinstance(o, ShareError)]
    assert (len(taken), len(refused)) == (1, 1), outcomes
    assert "Only ¥0.00 is left" in str(refused[0])
    chip_in.refresh_from_db()
    assert chip_in.reserved == Decimal("100.00")
    assert Payment.objects.count() == 2  # none for the refused share


def test_many_friends_at_once_never_reserve_more_than_the_gift_costs() -> None:
    chip_in = create_chip_in(price="100.00")
    outcomes = run_at_once([_share(chip_in.pk, "30") for _ in range(8)])
    taken = [o for o in outcomes if isinstance(o, Contribution)]
    assert len(taken) == 3
    assert all(isinstance(o, ShareError) for o in outcomes if o not in taken)
    chip_in.refresh_from_db()
    assert chip_in.reserved == Decimal("90.00")
    assert Payment.objects.count() == 3


def test_the_last_two_payments_at_once_fund_the_gift_once() -> None:
    chip_in = create_chip_in(price="100.00")
    stock_before = StockRecord.objects.get(sku_id=chip_in.gift.sku_id).quantity + 1
    shares = [_share(chip_in.pk, "50")(), _share(chip_in.pk, "50")()]
    outcomes = run_at_once([_paid(s.payment_id) for s in shares])
    assert outcomes == [True, True]
    assert _assert_one_outcome(chip_in, stock_before) == C.FUNDED
    assert Gift.objects.get(pk=chip_in.gift_id).payment_id in {s.payment_id for s in shares}


@pytest.mark.parametrize("sweep_delay_ms", [0, 5, 15, 40])
def test_the_last_share_against_the_deadline_has_exactly_one_outcome(sweep_delay_ms) -> None:
    chip_in = create_chip_in(price="100.00")
    stock_before = StockRecord.objects.get(sku_id=chip_in.gift.sku_id).quantity + 1
    first = _share(chip_in.pk, "70")()
    _paid(first.payment_id)()
    last = _share(chip_in.pk, "30")()

    def deadline_now() -> None:
        ChipIn.objects.filter(pk=chip_in.pk).update(
            deadline=timezone.now() + timedelta(milliseconds=10)
        )

    run_at_once(
        [_paid(last.payment_id), services.chip_ins_sweep],
        delays_ms=[10, sweep_delay_ms],
        before_release=deadline_now,
    )
    ChipIn.objects.filter(pk=chip_in.pk, status=C.OPEN).update(
        deadline=timezone.now() - timedelta(seconds=1)
    )
    services.chip_ins_sweep()  # a chip-in the racing sweep skipped (locked, or not yet due)
    _assert_one_outcome(chip_in, stock_before)


def test_a_cancel_racing_the_last_payment_has_exactly_one_outcome() -> None:
    chip_in = create_chip_in(price="100.00")
    stock_before = StockRecord.objects.get(sku_id=chip_in.gift.sku_id).quantity + 1
    last = _share(chip_in.pk, "100")()

    def cancel() -> None:
        services.chip_in_cancel(chip_in=ChipIn.objects.get(pk=chip_in.pk))

    outcomes = run_at_once([_paid(last.payment_id), cancel])
    chip_in.refresh_from_db()
    if chip_in.status == C.CANCELLED:
        assert outcomes[1] is None
        refund = Refund.objects.get()
        assert (refund.payment_id, refund.amount) == (last.payment_id, Decimal("100.00"))
    else:
        assert isinstance(outcomes[1], services.ChipInError)
        assert _assert_one_outcome(chip_in, stock_before) == C.FUNDED
