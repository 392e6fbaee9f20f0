"""The demo gift history is what the services write: money, states and deadlines agree.

One small demo is seeded for the whole module, with a 60-second accept window, inside a
transaction rolled back at the end: every test reads it (and any change a test makes is
rolled back with the test), and nothing is left for other modules.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.test import Client, override_settings
from django.utils import timezone

from gifting import services as gifting
from gifting.chipin import selectors as chipin_selectors
from gifting.chipin.selectors import refund_key
from gifting.models import ChipIn, Contribution, Gift, GiftClaim
from shop.demo import demo_data
from shop.demo.demo_data import GiftPlan
from shop.demo.history import gift_steps
from shop.notices.models import Notice
from shop.orders.models import ChangeRequest, Order, RefundRequest
from shop.partners.models import BalanceEntry, Partner
from shop.payments import services as payments
from shop.payments.models import Payment, PaymentNotification, Refund
from shop.sandbox.models import SandboxCharge, SandboxNotification

WINDOW = 60  # seconds: the demo's live gifts fall due within a minute
S = Gift.Status
CLOSED = (S.DECLINED, S.CANCELLED, S.EXPIRED)


@pytest.fixture(scope="module")
def seeded_at(
    django_db_setup: None, django_db_blocker: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[datetime]:
    """When seeding finished: 40 products and the first 200 planned gifts, replayed."""
    with (
        django_db_blocker.unblock(),  # type: ignore[attr-defined]
        override_settings(
            GIFT_ACCEPT_WINDOW_SECONDS=WINDOW,
            MEDIA_ROOT=tmp_path_factory.mktemp("media"),
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        transaction.atomic(),
    ):
        call_command("seed_demo", "--products", "40", "--gifts", "200", stdout=StringIO())
        yield timezone.now()
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded_at: datetime, db: None) -> datetime:
    return seeded_at


def _gift_refunds(gift: Gift) -> Decimal:
    """What went back for the gift: to its payment, or to each chip-in share's."""
    shares = [
        refund_key(pk)
        for pk in Contribution.objects.filter(chip_in__gift=gift).values_list("pk", flat=True)
    ]
    refunds = Refund.objects.filter(
        Q(subject=f"gift:{gift.pk}") | Q(subject__in=shares), status=Refund.Status.SUCCEEDED
    )
    return refunds.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def test_the_history_has_gifts_in_every_state_a_gift_ends_in(demo) -> None:
    planned = 200 + demo_data.PARTNER_GIFT_COUNT + len(demo_data.CHIP_INS)
    assert Gift.objects.count() == planned
    statuses = set(Gift.objects.values_list("status", flat=True))
    assert statuses == {
        S.ACCEPTED,
        S.DECLINED,
        S.CANCELLED,
        S.EXPIRED,
        S.AWAITING_RECIPIENT,
        S.FUNDING,  # the shopper's chip-in
    }


def test_every_paid_gift_has_its_succeeded_payment_and_the_providers_notification(demo) -> None:
    gifts = Gift.objects.filter(partner__isnull=True, chip_in__isnull=True)
    assert gifts.count() > 150
    assert not gifts.filter(status=S.PENDING_PAYMENT).exists()
    notified = {
        n.payload["data"]["reference"]
        for n in PaymentNotification.objects.filter(event_type="payment.succeeded")
    }
    charges = dict(SandboxCharge.objects.values_list("merchant_reference", "id"))
    for gift in gifts.select_related("payment"):
        payment = gift.payment
        assert payment.status == Payment.Status.SUCCEEDED
        assert payment.amount == gift.amount
        assert payment.provider_reference == charges[payment.reference]
        assert payment.succeeded_at == gift.paid_at
        assert payment.reference in notified


def test_the_partners_gifts_are_charged_to_its_balance(demo) -> None:
    gifts = Gift.objects.filter(partner__name=demo_data.PARTNER_NAME).select_related("payment")
    assert gifts.count() == demo_data.PARTNER_GIFT_COUNT
    for gift in gifts:
        charge = BalanceEntry.objects.get(idempotency_key=f"charge:{gift.payment.reference}")
        assert charge.amount == -gift.amount
        assert gift.payment.status == Payment.Status.SUCCEEDED
        assert gift.payment.provider_reference == f"B{charge.pk}"


def test_the_partners_balance_is_its_top_up_less_charges_plus_refunds(demo) -> None:
    partner = Partner.objects.get(name=demo_data.PARTNER_NAME)
    entries = BalanceEntry.objects.filter(partner=partner).order_by("pk")
    assert entries.filter(kind=BalanceEntry.Kind.REFUND).exists()
    assert entries.first().amount == demo_data.PARTNER_TOP_UP
    assert partner.balance == entries.aggregate(total=Sum("amount"))["total"]
    assert partner.balance == entries.last().balance_after


def test_each_gifts_succeeded_refunds_add_up_to_its_refunded_amount(demo) -> None:
    for gift in Gift.objects.all():
        assert _gift_refunds(gift) == gift.refunded_amount
        unclaimed = gift.unit_price * (gift.quantity - gift.units_claimed)
        assert gift.refunded_amount == (unclaimed if gift.status in CLOSED else 0)


def test_claims_match_units_claimed_and_ship_on_the_gifts_payment(demo) -> None:
    for gift in Gift.objects.all():
        claims = GiftClaim.objects.filter(gift=gift).select_related("order")
        assert claims.count() == gift.units_claimed
        assert all(claim.order.payment_id == gift.payment_id for claim in claims)


def test_every_order_has_a_succeeded_payment(demo) -> None:
    orders = Order.objects.select_related("payment")
    assert orders.filter(gift_claim__isnull=True).exists()  # the shopper's own orders
    for order in orders:
        assert order.payment.status == Payment.Status.SUCCEEDED
        assert order.paid_at is not None


def test_shipped_orders_carry_what_the_merchant_entered(demo) -> None:
    shipped = Order.objects.filter(status__in=[Order.Status.SHIPPED, Order.Status.COMPLETED])
    assert shipped.filter(status=Order.Status.COMPLETED).exists()
    for order in shipped:
        assert order.carrier == demo_data.CARRIER
        assert order.tracking_number.startswith("SF")
        assert order.paid_at < order.shipped_at
        if order.status == Order.Status.COMPLETED:
            assert order.shipped_at < order.delivered_at
    assert not Order.objects.filter(status=Order.Status.PAID, shipped_at__isnull=False).exists()


def test_refunded_orders_were_asked_for_approved_and_refunded(demo) -> None:
    refunded = Order.objects.filter(status=Order.Status.REFUNDED)
    assert refunded.exists()
    for order in refunded:
        refunds = Refund.objects.filter(subject=f"order:{order.pk}", status="succeeded")
        assert refunds.aggregate(total=Sum("amount"))["total"] == order.total
        assert order.refunded_amount == order.total
        assert RefundRequest.objects.get(order=order).status == RefundRequest.Status.APPROVED


def test_nothing_is_left_pending_or_undelivered(demo) -> None:
    assert not Refund.objects.exclude(status=Refund.Status.SUCCEEDED).exists()
    assert not SandboxNotification.objects.filter(delivered_at__isnull=True).exists()
    assert PaymentNotification.objects.count() == SandboxNotification.objects.count()


def test_the_historys_notices_belong_to_the_past_and_are_never_sent(demo) -> None:
    assert Notice.objects.exists()
    assert not Notice.objects.exclude(status=Notice.Status.DROPPED).exists()


def test_one_recipient_waits_for_the_merchant_to_answer_an_address_change(demo) -> None:
    (request,) = ChangeRequest.objects.filter(status=ChangeRequest.Status.PENDING)
    assert request.kind == ChangeRequest.Kind.ADDRESS
    assert request.order.status == Order.Status.PAID
    assert request.new_address["street"] == demo_data.CHANGED_ADDRESS["street"]


def test_the_shoppers_chip_in_is_open_with_two_of_three_shares_paid(demo) -> None:
    chip_in = ChipIn.objects.get(organiser__email=demo_data.SHOPPER_EMAIL)
    paid = chip_in.contributions.filter(status=Contribution.Status.PAID)
    assert (chip_in.status, paid.count()) == (ChipIn.Status.OPEN, 2)
    assert chip_in.paid == sum(c.payment.amount for c in paid) < chip_in.target
    assert chip_in.deadline > timezone.now()
    assert chip_in.gift.status == S.FUNDING


def test_the_shoppers_chip_in_share_link_opens_its_share_page(demo) -> None:
    chip_in = ChipIn.objects.get(organiser__email=demo_data.SHOPPER_EMAIL)
    path = chipin_selectors.share_url(chip_in).removeprefix(settings.SITE_URL)
    assert Client().get(path).status_code == 200


def test_a_funded_chip_ins_gift_is_live_on_the_payment_of_its_last_share(demo) -> None:
    chip_in = ChipIn.objects.get(status=ChipIn.Status.FUNDED)
    last = chip_in.contributions.order_by("-paid_at").first()
    assert chip_in.paid == chip_in.target == chip_in.gift.amount
    assert chip_in.contributions.filter(status=Contribution.Status.PAID).count() == 3
    assert chip_in.gift.payment_id == last.payment_id
    assert chip_in.gift.expires_at == last.payment.succeeded_at + timedelta(seconds=WINDOW)


def test_reconcile_finds_the_ledger_and_the_provider_agreeing(demo) -> None:
    out = StringIO()
    call_command("reconcile", stdout=out)
    assert "sandbox: checked" in out.getvalue()
    assert "no differences" in out.getvalue()


def test_steps_happened_in_order_at_their_back_dated_moments(demo) -> None:
    for gift in Gift.objects.filter(chip_in__isnull=True):
        claimed = list(
            GiftClaim.objects.filter(gift=gift)
            .order_by("claimed_at")
            .values_list("claimed_at", flat=True)
        )
        paid_after = timedelta(0) if gift.partner_id else demo_data.PAYMENT_AFTER
        assert gift.created_at == gift.paid_at - paid_after
        assert all(gift.paid_at < at < gift.expires_at for at in claimed)
        if gift.status == S.ACCEPTED:
            assert gift.finished_at == claimed[-1]
        elif gift.status == S.EXPIRED:
            assert gift.finished_at == gift.expires_at
    assert Gift.objects.filter(paid_at__lt=demo - timedelta(days=14)).exists()


def test_live_gifts_are_due_one_window_after_payment(demo) -> None:
    live = Gift.objects.filter(status=S.AWAITING_RECIPIENT)
    assert live.exists()
    for gift in live:
        assert gift.expires_at == gift.paid_at + timedelta(seconds=WINDOW)
        assert gift.expires_at <= demo + timedelta(seconds=WINDOW)


def test_the_expiry_sweep_expires_and_refunds_every_live_gift(demo) -> None:
    live = list(Gift.objects.filter(status=S.AWAITING_RECIPIENT))
    latest = Gift.objects.aggregate(latest=Max("expires_at"))["latest"]

    with time_machine.travel(latest + timedelta(seconds=1), tick=False):
        assert gifting.gifts_expire_due() == len(live)
    pending = list(Refund.objects.filter(status=Refund.Status.PENDING).values_list("pk", flat=True))
    assert payments.refunds_execute(refund_ids=pending) == []

    assert not Gift.objects.filter(status=S.AWAITING_RECIPIENT).exists()
    for gift in live:
        gift.refresh_from_db()
        assert gift.status == S.EXPIRED
        assert gift.refunded_amount == gift.unit_price * (gift.quantity - gift.units_claimed)
        assert _gift_refunds(gift) == gift.refunded_amount
    call_command("reconcile", stdout=StringIO())


def test_a_second_run_adds_nothing(demo) -> None:
    before = [m.objects.count() for m in (Gift, GiftClaim, Order, Payment, Refund)]
    out = StringIO()
    with override_settings(GIFT_ACCEPT_WINDOW_SECONDS=WINDOW):
        call_command("seed_demo", "--products", "40", "--gifts", "200", stdout=out)
    assert "Created 0 occasions and 0 gifts" in out.getvalue()
    assert [m.objects.count() for m in (Gift, GiftClaim, Order, Payment, Refund)] == before


# --- Planning a gift's steps (no database) ------------------------------------------------

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _plan(**fields: object) -> GiftPlan:
    defaults = {
        "index": 1,
        "merchant": "mountain-coffee",
        "pick": 0.0,
        "sender": 0,
        "hours_ago": 48.0,
        "units": 1,
        "claimed": 0,
        "status": S.EXPIRED,
        "claim_delays": (),
        "refunded": (),
        "message": "",
    }
    return GiftPlan(**{**defaults, **fields})


def test_a_partners_gift_is_paid_as_it_is_sent() -> None:
    steps = gift_steps(_plan(), now=NOW, window=DAY, paid_on_sending=True)
    assert [s.action for s in steps] == ["send", "expire"]
    assert steps[1].at - steps[0].at == DAY


def test_an_expired_gift_is_swept_one_window_after_its_payment() -> None:
    steps = gift_steps(_plan(), now=NOW, window=DAY)
    assert [s.action for s in steps] == ["send", "pay", "expire"]
    assert steps[2].at - steps[1].at == DAY


def test_steps_after_now_have_not_happened_yet() -> None:
    steps = gift_steps(_plan(status=S.DECLINED, hours_ago=1.0), now=NOW, window=DAY)
    assert [s.action for s in steps] == ["send", "pay"]


def test_a_live_gifts_age_and_claims_scale_with_the_window() -> None:
    plan = _plan(
        status=S.AWAITING_RECIPIENT,
        hours_ago=12.0,
        units=2,
        claimed=1,
        claim_delays=(6.0,),
        refunded=(False,),
    )
    steps = gift_steps(plan, now=NOW, window=timedelta(seconds=60))
    assert [(s.action, NOW - s.at) for s in steps] == [
        ("send", timedelta(minutes=3, seconds=30)),
        ("pay", timedelta(seconds=30)),
        ("claim", timedelta(seconds=15)),
    ]


def test_an_accepted_units_order_ships_then_is_delivered_at_the_merchants_pace() -> None:
    plan = _plan(status=S.ACCEPTED, claimed=1, claim_delays=(2.0,), refunded=(False,))
    steps = {s.action: s.at for s in gift_steps(plan, now=NOW, window=DAY)}
    assert steps["ship"] - steps["claim"] == demo_data.SHIPPED_AFTER
    assert "deliver" not in steps  # two days and six hours after a claim 46 hours ago
