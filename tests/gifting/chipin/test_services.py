"""Chip-in gifts: shares reserved before money moves, funded in full or refunded to each
payer's own payment, by the sweep that no chip-in stops."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from gifting import services as gifting
from gifting.chipin import selectors, services
from gifting.chipin.services import ChipInError, ShareError
from gifting.models import ChipIn, Contribution, Gift, GiftEvent
from shop.catalogue.models import StockRecord
from shop.core.models import JobItem
from shop.notices.models import Notice
from shop.payments.models import Payment, Refund
from tests.chipins import chip_in_share, create_chip_in, pay_share, settle_refunds, take_share
from tests.factories import UserFactory
from tests.gifts import recipient

pytestmark = pytest.mark.django_db
C = ChipIn.Status
CS = Contribution.Status


def _stock(chip_in: ChipIn) -> int:
    return StockRecord.objects.get(sku_id=chip_in.gift.sku_id).quantity


def _past_deadline(chip_in: ChipIn) -> None:
    ChipIn.objects.filter(pk=chip_in.pk).update(deadline=timezone.now() - timedelta(seconds=1))


# --- Starting and taking shares --------------------------------------------------------------


def test_a_chip_in_holds_the_unit_and_has_no_payment_until_funded(settings) -> None:
    settings.CHIPIN_FUNDING_WINDOW_SECONDS = 3600
    chip_in = create_chip_in(price="300.00", stock=5)
    assert chip_in.gift.status == Gift.Status.FUNDING
    assert chip_in.gift.payment_id is None
    assert (chip_in.target, chip_in.reserved, chip_in.paid) == (Decimal("300.00"), 0, 0)
    assert _stock(chip_in) == 4
    left = chip_in.deadline - timezone.now()
    assert timedelta(minutes=59) < left <= timedelta(hours=1)


def test_a_share_reserves_its_amount_and_opens_its_own_payment() -> None:
    chip_in = create_chip_in(price="300.00")
    contribution = take_share(chip_in, "120")
    chip_in.refresh_from_db()
    assert chip_in.reserved == Decimal("120.00")
    assert chip_in.paid == 0
    assert contribution.payment.amount == Decimal("120.00")
    assert contribution.payment.purpose == Payment.Purpose.CHIP_IN


def test_a_share_above_what_is_left_is_refused_before_any_payment() -> None:
    chip_in = create_chip_in(price="300.00")
    take_share(chip_in, "250")
    for too_much in ["60", "1e999"]:
        with pytest.raises(ShareError, match=re.escape("Only ¥50.00 is left to chip in.")):
            take_share(chip_in, too_much)
    assert Payment.objects.count() == 1


def test_a_share_below_the_smallest_is_refused_unless_it_is_all_that_is_left(settings) -> None:
    settings.CHIPIN_MIN_SHARE = Decimal("20.00")
    chip_in = create_chip_in(price="100.00")
    with pytest.raises(ShareError, match=re.escape("A share is at least ¥20.00")):
        take_share(chip_in, "5")
    take_share(chip_in, "95")
    last = take_share(chip_in, "5")
    assert last.amount == Decimal("5.00")


@pytest.mark.parametrize("amount", ["abc", "-5", "0", "12.345", "NaN", "Infinity", ""])
def test_a_share_that_is_not_an_amount_is_refused(amount: str) -> None:
    chip_in = create_chip_in()
    with pytest.raises(ShareError, match="Enter an amount in yuan"):
        take_share(chip_in, amount)
    assert Payment.objects.count() == 0


def test_a_share_after_funding_is_refused(client) -> None:
    chip_in = create_chip_in(price="100.00")
    chip_in_share(client, chip_in, "100")
    with pytest.raises(ChipInError, match="already fully funded"):
        take_share(chip_in, "10")
    assert Payment.objects.count() == 1


def test_a_share_to_a_cancelled_chip_in_is_refused() -> None:
    chip_in = create_chip_in()
    services.chip_in_cancel(chip_in=chip_in)
    with pytest.raises(ChipInError, match="The organiser cancelled this chip-in"):
        take_share(chip_in, "10")
    assert Payment.objects.count() == 0


def test_a_share_after_the_deadline_is_refused_even_before_the_sweep() -> None:
    chip_in = create_chip_in()
    _past_deadline(chip_in)
    with pytest.raises(ChipInError, match="not funded in time"):
        take_share(chip_in, "10")
    assert Payment.objects.count() == 0


def test_a_share_needs_a_name_the_others_see() -> None:
    chip_in = create_chip_in()
    with pytest.raises(ChipInError, match="Say which name the others see"):
        take_share(chip_in, "10", name=" \x07 ")


# --- Funding ---------------------------------------------------------------------------------


def test_a_paid_share_counts_and_the_gift_keeps_collecting(client) -> None:
    chip_in = create_chip_in(price="300.00")
    contribution = chip_in_share(client, chip_in, "100")
    chip_in.refresh_from_db()
    assert contribution.status == CS.PAID
    assert (chip_in.status, chip_in.paid) == (C.OPEN, Decimal("100.00"))
    assert chip_in.gift.status == Gift.Status.FUNDING


def test_the_share_that_completes_the_gift_makes_its_link_live(client, settings) -> None:
    settings.GIFT_ACCEPT_WINDOW_SECONDS = 24 * 3600
    chip_in = create_chip_in(price="300.00")
    chip_in_share(client, chip_in, "100")
    last = chip_in_share(client, chip_in, "200", name="小刚")
    chip_in.refresh_from_db()
    gift = chip_in.gift
    gift.refresh_from_db()
    assert chip_in.status == C.FUNDED
    assert gift.status == Gift.Status.AWAITING_RECIPIENT
    assert gift.payment_id == last.payment_id
    assert timedelta(hours=23, minutes=59) < gift.expires_at - timezone.now() <= timedelta(hours=24)
    assert GiftEvent.objects.filter(gift=gift, kind=GiftEvent.Kind.FUNDED).count() == 1


def test_the_organiser_is_emailed_the_gift_link_when_it_is_funded(client) -> None:
    chip_in = create_chip_in(price="100.00")
    chip_in_share(client, chip_in, "100")
    notice = Notice.objects.get(kind="chipin_funded")
    assert notice.user == chip_in.organiser
    assert notice.context["gift_url"].endswith(f"/gifts/sent/{chip_in.gift_id}/")


def test_a_funded_chip_in_gift_is_claimed_like_any_other(client) -> None:
    chip_in = create_chip_in(price="100.00")
    chip_in_share(client, chip_in, "40")
    last = chip_in_share(client, chip_in, "60")
    gift = Gift.objects.get(pk=chip_in.gift_id)
    claim = gifting.gift_claim(gift=gift, recipient=recipient(), sku_id=None, user=None)
    gift.refresh_from_db()
    assert gift.status == Gift.Status.ACCEPTED
    assert claim.order.payment_id == last.payment_id
    assert claim.order.total == Decimal("100.00")


# --- Closing unfunded, and refunds -----------------------------------------------------------


def test_an_unfunded_chip_in_refunds_each_payer_to_their_own_payment(client) -> None:
    chip_in = create_chip_in(price="300.00", stock=5)
    first = chip_in_share(client, chip_in, "100")
    second = chip_in_share(client, chip_in, "50")
    unpaid = take_share(chip_in, "30")
    _past_deadline(chip_in)
    assert services.chip_ins_sweep() == 1
    chip_in.refresh_from_db()
    assert chip_in.status == C.FAILED
    assert Gift.objects.get(pk=chip_in.gift_id).status == Gift.Status.ABANDONED
    assert _stock(chip_in) == 5
    refunds = {r.idempotency_key: (r.payment_id, r.amount) for r in Refund.objects.all()}
    assert refunds == {
        f"chipin:{first.pk}": (first.payment_id, Decimal("100.00")),
        f"chipin:{second.pk}": (second.payment_id, Decimal("50.00")),
    }
    unpaid.refresh_from_db()
    assert unpaid.status == CS.RELEASED


def test_settled_refunds_mark_each_share_refunded(client) -> None:
    chip_in = create_chip_in(price="300.00")
    shares = [chip_in_share(client, chip_in, "100"), chip_in_share(client, chip_in, "50")]
    _past_deadline(chip_in)
    services.chip_ins_sweep()
    settle_refunds()
    for share in shares:
        share.refresh_from_db()
        assert share.status == CS.REFUNDED
    assert Gift.objects.get(pk=chip_in.gift_id).refunded_amount == Decimal("150.00")


def test_sweeping_twice_refunds_once(client) -> None:
    chip_in = create_chip_in(price="300.00")
    chip_in_share(client, chip_in, "100")
    _past_deadline(chip_in)
    services.chip_ins_sweep()
    assert services.chip_ins_sweep() == 0
    assert Refund.objects.count() == 1


def test_an_open_chip_in_within_its_deadline_is_left_alone(client) -> None:
    chip_in = create_chip_in(price="300.00")
    chip_in_share(client, chip_in, "100")
    assert services.chip_ins_sweep() == 0
    chip_in.refresh_from_db()
    assert chip_in.status == C.OPEN


def test_a_cancelled_chip_in_refunds_every_paid_share_and_frees_the_unit(client) -> None:
    chip_in = create_chip_in(price="300.00", stock=3)
    paid = chip_in_share(client, chip_in, "100")
    services.chip_in_cancel(chip_in=chip_in)
    assert chip_in.status == C.CANCELLED
    assert _stock(chip_in) == 3
    refund = Refund.objects.get()
    assert (refund.payment_id, refund.amount) == (paid.payment_id, Decimal("100.00"))


def test_a_funded_chip_in_cannot_be_cancelled_as_a_chip_in(client) -> None:
    chip_in = create_chip_in(price="100.00")
    chip_in_share(client, chip_in, "100")
    with pytest.raises(ChipInError, match="already fully funded"):
        services.chip_in_cancel(chip_in=chip_in)


def test_a_funded_gift_not_accepted_in_time_refunds_each_contributor(client) -> None:
    chip_in = create_chip_in(price="100.00")
    shares = [chip_in_share(client, chip_in, "30"), chip_in_share(client, chip_in, "70")]
    Gift.objects.filter(pk=chip_in.gift_id).update(expires_at=timezone.now() - timedelta(1))
    gifting.gifts_expire_due()
    refunds = {r.payment_id: r.amount for r in Refund.objects.all()}
    assert refunds == {
        shares[0].payment_id: Decimal("30.00"),
        shares[1].payment_id: Decimal("70.00"),
    }
    settle_refunds()
    gift = Gift.objects.get(pk=chip_in.gift_id)
    assert (gift.status, gift.refunded_amount) == (Gift.Status.EXPIRED, Decimal("100.00"))


def test_a_funded_gift_cancelled_by_the_organiser_refunds_each_contributor(client) -> None:
    chip_in = create_chip_in(price="100.00")
    shares = [chip_in_share(client, chip_in, "30"), chip_in_share(client, chip_in, "70")]
    gifting.gift_cancel(gift=Gift.objects.get(pk=chip_in.gift_id))
    keys = set(Refund.objects.values_list("idempotency_key", flat=True))
    assert keys == {f"chipin:{s.pk}" for s in shares}


# --- Shares not paid ------------------------------------------------------------------------


def test_a_share_not_paid_in_time_gives_its_amount_back(settings) -> None:
    settings.CHIPIN_SHARE_HOLD_SECONDS = 900
    chip_in = create_chip_in(price="300.00")
    share = take_share(chip_in, "100")
    Contribution.objects.filter(pk=share.pk).update(
        created_at=timezone.now() - timedelta(seconds=901)
    )
    assert services.chip_ins_sweep() == 1
    chip_in.refresh_from_db()
    share.refresh_from_db()
    assert (share.status, chip_in.reserved) == (CS.RELEASED, 0)


def test_a_share_whose_payment_failed_gives_its_amount_back_at_once(client) -> None:
    chip_in = create_chip_in(price="300.00")
    share = take_share(chip_in, "100")
    pay_share(client, share, approve=False)
    services.chip_ins_sweep()
    chip_in.refresh_from_db()
    assert chip_in.reserved == 0


def test_a_share_paid_after_its_place_was_given_up_is_refunded_in_full(client, settings) -> None:
    settings.CHIPIN_SHARE_HOLD_SECONDS = 900
    chip_in = create_chip_in(price="300.00")
    share = take_share(chip_in, "100")
    Contribution.objects.filter(pk=share.pk).update(
        created_at=timezone.now() - timedelta(seconds=901)
    )
    services.chip_ins_sweep()
    pay_share(client, share)  # the friend confirms on the provider's page, late
    chip_in.refresh_from_db()
    assert chip_in.paid == 0
    refund = Refund.objects.get()
    assert (refund.payment_id, refund.amount, refund.idempotency_key) == (
        share.payment_id,
        Decimal("100.00"),
        f"chipin:{share.pk}",
    )


def test_a_share_paid_after_the_chip_in_closed_is_refunded(client) -> None:
    chip_in = create_chip_in(price="300.00")
    share = take_share(chip_in, "100")
    services.chip_in_cancel(chip_in=chip_in)
    pay_share(client, share)
    assert Refund.objects.get().payment_id == share.payment_id


def test_a_paid_share_after_the_deadline_does_not_fund_the_gift(client) -> None:
    chip_in = create_chip_in(price="100.00")
    share = take_share(chip_in, "100")
    _past_deadline(chip_in)
    pay_share(client, share)
    chip_in.refresh_from_db()
    assert chip_in.status == C.OPEN  # the sweep closes it
    services.chip_ins_sweep()
    chip_in.refresh_from_db()
    assert chip_in.status == C.FAILED
    assert Refund.objects.get().payment_id == share.payment_id


# --- The sweep's isolation -------------------------------------------------------------------


def test_a_chip_in_that_fails_to_close_does_not_stop_the_others(client, monkeypatch) -> None:
    good, bad = create_chip_in(), create_chip_in()
    _past_deadline(good)
    _past_deadline(bad)
    real = services.state.close_unfunded

    def broken(chip_in_id: int, gift_id: int, target: str) -> bool:
        if chip_in_id == bad.pk:
            raise RuntimeError("broken row")
        return real(chip_in_id, gift_id, target)

    monkeypatch.setattr(services.state, "close_unfunded", broken)
    assert services.chip_ins_sweep() == 1
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.status, bad.status) == (C.FAILED, C.OPEN)
    item = JobItem.objects.get(job=services.CLOSE_JOB)
    assert item.item_id == bad.pk
    assert "broken row" in item.error


# --- What people see -------------------------------------------------------------------------


def test_the_recipient_reads_the_first_names_and_how_many_friends(client) -> None:
    chip_in = create_chip_in(price="500.00", sender_name="小明")
    for name in ["小红", "小刚", "小丽", "小华"]:
        chip_in_share(client, chip_in, "50", name=name)
    assert selectors.from_line(chip_in.gift) == "from 小明, 小红 and 3 friends"


def test_the_organisers_own_share_does_not_count_them_as_another_friend(client) -> None:
    organiser = UserFactory()
    chip_in = create_chip_in(price="100.00", sender_name="小明", organiser=organiser)
    chip_in_share(client, chip_in, "50", name="小红")
    mine = take_share(chip_in, "50", user=organiser, name="王小明")  # their account's name
    pay_share(client, mine)
    assert selectors.from_line(chip_in.gift) == "from 小明 and 小红"


def test_contributors_see_the_names_but_only_their_own_amount(client) -> None:
    chip_in = create_chip_in(price="300.00")
    friend = UserFactory()
    chip_in_share(client, chip_in, "100", name="小红")
    mine = take_share(chip_in, "70", user=friend, name="小刚")
    pay_share(client, mine)
    chip_in.refresh_from_db()
    seen = selectors.chip_in_view(chip_in, friend)
    assert seen.names == ["小红", "小刚"]
    assert [c.amount for c in seen.mine] == [Decimal("70.00")]
    assert (seen.left, seen.percent) == (Decimal("130.00"), 56)
