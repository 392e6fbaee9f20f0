"""Gift races on PostgreSQL, with real threads and real connections.

Every race runs each contender in its own thread, all released together by a barrier,
each closing its own connection when done. Data is committed (transaction=True) so every
thread sees it. Publishing to Celery is recorded instead (see `published`), so no worker
acts behind a test's back and each test can assert exactly what would have been queued.

The invariant every test checks: a gift ends with exactly one outcome, and money and stock
follow that outcome: units shipped (claims, orders, stock kept) plus units refunded
(one Refund for the unclaimed units, stock released) add up to what the sender paid for.
"""

import contextlib
import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import OperationalError
from django.utils import timezone

from gifting import services
from gifting.models import Gift, GiftClaim, GiftEvent
from gifting.services import GiftError
from shop.catalogue import stock
from shop.catalogue.models import StockRecord
from shop.orders.models import Order
from shop.payments.models import Refund
from tests.factories import ProductFactory, SkuFactory
from tests.gifts import due_gifts, live_gift, recipient
from tests.races import run_at_once as _run_at_once

S = Gift.Status
ACCEPTED_ALREADY = "This gift has already been accepted."
EXPIRED = "This gift expired: it was not accepted in time."
CANCELLED = "The sender cancelled this gift."


@pytest.fixture(autouse=True)
def _fast_passwords(settings: object) -> None:
    """A hundred senders: hash their factory passwords cheaply."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Record (task name, *args) instead of publishing; thread-safe (list.append)."""
    calls: list[tuple] = []

    def record(task: object, *args: object) -> bool:
        calls.append((task.name.rsplit(".", 1)[-1], *args))  # type: ignore[attr-defined]
        return True

    for module in (
        "shop.payments.services",
        "shop.orders.services",
        "shop.sandbox.provider",
    ):
        monkeypatch.setattr(f"{module}.publish", record)
    # Notices are counted by their rows (unique keys), not here: these races are about money.
    monkeypatch.setattr("shop.notices.services.publish", lambda task, *args: True)
    return calls


def _published_refund_ids(published: list[tuple]) -> list[int]:
    """Refund ids queued for the worker, one entry per time each was queued."""
    ids: list[int] = []
    for name, *args in published:
        if name == "refunds_execute_task":
            ids.extend(args[0])
        elif name == "refund_execute_task":
            ids.append(args[0])
    return ids


def _claim(gift_id: int, phone: str, sku_id: int | None = None) -> Callable[[], GiftClaim]:
    def claim() -> GiftClaim:
        gift = Gift.objects.select_related("sku").get(pk=gift_id)  # one instance per thread
        return services.gift_claim(
            gift=gift, recipient=recipient(phone=phone), sku_id=sku_id, user=None
        )

    return claim


def _cancel(gift_id: int) -> Callable[[], None]:
    return lambda: services.gift_cancel(gift=Gift.objects.get(pk=gift_id))


def _decline(gift_id: int) -> Callable[[], None]:
    return lambda: services.gift_decline(gift=Gift.objects.get(pk=gift_id), user=None)


def _phone(n: int) -> str:
    return f"139{n:08d}"


def _stock(sku: object) -> int:
    return StockRecord.objects.get(sku=sku).quantity


def _events(gift: Gift) -> list[str]:
    return list(GiftEvent.objects.filter(gift=gift).order_by("pk").values_list("kind", flat=True))


def _messages(outcomes: list[object]) -> list[str]:
    return [str(o) for o in outcomes if isinstance(o, GiftError)]


def _unexpected(outcomes: list[object]) -> list[object]:
    return [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, GiftError)]


def _assert_delivered(gift: Gift, units: int) -> None:
    """`units` claimed, shipped and kept: nothing refunded."""
    assert gift.units_claimed == units
    assert GiftClaim.objects.filter(gift=gift).count() == units
    orders_of_gift = Order.objects.filter(gift_claim__gift=gift)
    assert orders_of_gift.count() == units
    assert set(orders_of_gift.values_list("status", flat=True)) <= {Order.Status.PAID}
    assert set(orders_of_gift.values_list("payment_id", flat=True)) <= {gift.payment_id}


def _assert_refunded_once(gift: Gift, units_left: int) -> Refund:
    """Exactly one refund, for exactly the unclaimed units, under the gift's key."""
    refund = Refund.objects.get(subject=f"gift:{gift.pk}")
    assert (refund.idempotency_key, refund.amount, refund.payment_id, refund.status) == (
        f"gift-{gift.pk}-unclaimed",
        gift.unit_price * units_left,
        gift.payment_id,
        Refund.Status.PENDING,
    )
    return refund


# --- Many recipients, one link --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_fifty_recipients_accepting_one_single_unit_gift_at_once_make_one_claim(
    client, published: list[tuple]
) -> None:
    gift = live_gift(client, stock=10)
    published.clear()

    outcomes = _run_at_once([_claim(gift.pk, _phone(n)) for n in range(50)])

    won = [o for o in outcomes if isinstance(o, GiftClaim)]
    assert len(won) == 1, outcomes
    assert _unexpected(outcomes) == []
    assert _messages(outcomes) == [ACCEPTED_ALREADY] * 49
    gift.refresh_from_db()
    assert (gift.status, gift.units_claimed) == (S.ACCEPTED, 1)
    assert gift.finished_at is not None
    _assert_delivered(gift, 1)
    claim = GiftClaim.objects.get(gift=gift)
    assert claim.pk == won[0].pk
    assert Order.objects.get().pk == claim.order_id  # no order left behind by a loser
    assert Order.objects.get().phone == claim.phone
    assert _events(gift) == ["created", "paid", "accepted"]
    assert not Refund.objects.exists()
    assert _stock(gift.sku) == 9  # reserved when the gift was bought; a claim takes no more
    assert published == []


@pytest.mark.django_db(transaction=True)
def test_twenty_recipients_racing_for_a_five_unit_group_gift_make_five_claims(
    client, published: list[tuple]
) -> None:
    gift = live_gift(client, quantity=5, price="20.00", stock=8)
    published.clear()

    outcomes = _run_at_once([_claim(gift.pk, _phone(n)) for n in range(20)])

    won = [o for o in outcomes if isinstance(o, GiftClaim)]
    assert len(won) == 5, outcomes
    assert _unexpected(outcomes) == []
    assert _messages(outcomes) == [ACCEPTED_ALREADY] * 15
    gift.refresh_from_db()
    assert (gift.status, gift.units_claimed) == (S.ACCEPTED, 5)
    _assert_delivered(gift, 5)
    assert set(GiftClaim.objects.values_list("pk", flat=True)) == {c.pk for c in won}
    assert len(set(GiftClaim.objects.values_list("phone", flat=True))) == 5
    assert Order.objects.count() == 5
    assert _events(gift) == ["created", "paid"] + ["accepted"] * 5
    assert not Refund.objects.exists()
    assert _stock(gift.sku) == 3
    assert published == []


# --- A claim racing the expiry sweep, the sender and a decline -------------------------------

# expires_at relative to the moment both contenders are released: from 5 ms in the past
# (the claim must lose) to 25 ms in the future (the sweep finds nothing due), in 0.3 ms steps.
EXPIRY_OFFSETS_MS = [-5 + 0.3 * n for n in range(100)]


@pytest.mark.django_db(transaction=True)
def test_a_claim_racing_the_expiry_sweep_a_hundred_times_has_exactly_one_outcome_each_time(
    client, published: list[tuple]
) -> None:
    sku = SkuFactory(price=Decimal("99.00"), stock=100)
    gifts = [live_gift(client, sku=sku) for _ in EXPIRY_OFFSETS_MS]
    assert _stock(sku) == 0
    published.clear()
    settled_by_next_sweep = 0

    for n, (gift, offset) in enumerate(zip(gifts, EXPIRY_OFFSETS_MS, strict=True)):

        def deadline(gift: Gift = gift, offset: float = offset) -> None:
            Gift.objects.filter(pk=gift.pk).update(
                expires_at=timezone.now() + timedelta(milliseconds=offset)
            )

        # The sweep starts 0, 3, 6 or 9 ms after the claim, so that over the offsets it
        # meets the claim before, during (row locked: skipped) and after its transaction.
        claimed, swept = _run_at_once(
            [_claim(gift.pk, "13912345678"), services.gifts_expire_due],
            delays_ms=[0, (n % 4) * 3],
            before_release=deadline,
        )
        assert not isinstance(swept, Exception), swept
        if isinstance(claimed, GiftError):
            assert str(claimed) == EXPIRED
            # Refused by the deadline before the sweep saw the gift due: the next tick.
            if swept == 0:
                settled_by_next_sweep += 1
                assert services.gifts_expire_due() == 1
        else:
            assert isinstance(claimed, GiftClaim), claimed
            assert swept == 0
        gift.refresh_from_db()
        refunds = Refund.objects.filter(subject=f"gift:{gift.pk}")
        orders_of_gift = Order.objects.filter(gift_claim__gift=gift)
        accepted = (
            gift.status == S.ACCEPTED
            and isinstance(claimed, GiftClaim)
            and refunds.count() == 0
            and orders_of_gift.count() == 1
            and _events(gift) == ["created", "paid", "accepted"]
        )
        expired = (
            gift.status == S.EXPIRED
            and isinstance(claimed, GiftError)
            and gift.units_claimed == 0
            and refunds.count() == 1
            and orders_of_gift.count() == 0
            and _events(gift) == ["created", "paid", "expired"]
        )
        assert accepted != expired, (offset, gift.status, claimed, swept, refunds.count())
        if expired:
            _assert_refunded_once(gift, 1)

    outcomes = Gift.objects.values_list("status", flat=True)
    accepted_count = sum(status == S.ACCEPTED for status in outcomes)
    expired_count = sum(status == S.EXPIRED for status in outcomes)
    assert accepted_count + expired_count == 100
    # The offsets span both sides of the deadline: both outcomes must have happened.
    assert accepted_count > 0 and expired_count > 0, (accepted_count, expired_count)
    assert Order.objects.count() == GiftClaim.objects.count() == accepted_count
    assert Refund.objects.count() == expired_count
    assert _stock(sku) == 100 - accepted_count
    # Each refund queued for the worker exactly once, and nothing else queued.
    assert sorted(_published_refund_ids(published)) == sorted(
        Refund.objects.values_list("pk", flat=True)
    )
    assert {name for name, *_ in published} <= {"refunds_execute_task"}
    print(f"accepted={accepted_count} expired={expired_count} next-tick={settled_by_next_sweep}")


# The cancel (or decline) starts from 2 ms before to 7.5 ms after the claim, in 0.5 ms steps.
STAGGER_MS = [n * 0.5 - 2 for n in range(20)]


def _delays(stagger_ms: float) -> list[float]:
    """[claim delay, other delay]: a positive stagger holds the other contender back."""
    return [max(-stagger_ms, 0), max(stagger_ms, 0)]


@pytest.mark.django_db(transaction=True)
def test_the_sender_cancelling_while_the_recipient_accepts_has_exactly_one_winner(
    client, published: list[tuple]
) -> None:
    sku = SkuFactory(price=Decimal("99.00"), stock=len(STAGGER_MS))
    winners = {"claim": 0, "cancel": 0}
    for stagger in STAGGER_MS:
        gift = live_gift(client, sku=sku)
        published.clear()

        claimed, cancelled = _run_at_once(
            [_claim(gift.pk, "13912345678"), _cancel(gift.pk)], _delays(stagger)
        )

        gift.refresh_from_db()
        if isinstance(claimed, GiftClaim):
            winners["claim"] += 1
            assert isinstance(cancelled, GiftError) and str(cancelled) == ACCEPTED_ALREADY
            assert gift.status == S.ACCEPTED
            _assert_delivered(gift, 1)
            assert not Refund.objects.filter(subject=f"gift:{gift.pk}").exists()
            assert _events(gift) == ["created", "paid", "accepted"]
            assert published == []
        else:
            winners["cancel"] += 1
            assert cancelled is None, cancelled
            assert isinstance(claimed, GiftError) and str(claimed) == CANCELLED, claimed
            assert gift.status == S.CANCELLED
            _assert_delivered(gift, 0)
            refund = _assert_refunded_once(gift, 1)
            assert published == [("refund_execute_task", refund.pk)]
            assert _events(gift) == ["created", "paid", "cancelled"]

    assert _stock(sku) == winners["cancel"]  # only cancelled gifts gave their unit back
    assert Order.objects.count() == winners["claim"]
    assert Refund.objects.count() == winners["cancel"]
    print(winners)


@pytest.mark.django_db(transaction=True)
def test_a_decline_racing_an_accept_has_exactly_one_winner(client, published: list[tuple]) -> None:
    sku = SkuFactory(price=Decimal("99.00"), stock=len(STAGGER_MS))
    winners = {"claim": 0, "decline": 0}
    for stagger in STAGGER_MS:
        gift = live_gift(client, sku=sku)
        published.clear()

        claimed, declined = _run_at_once(
            [_claim(gift.pk, "13912345678"), _decline(gift.pk)], _delays(stagger)
        )

        gift.refresh_from_db()
        if isinstance(claimed, GiftClaim):
            winners["claim"] += 1
            assert isinstance(declined, GiftError) and str(declined) == ACCEPTED_ALREADY
            assert gift.status == S.ACCEPTED
            _assert_delivered(gift, 1)
            assert not Refund.objects.filter(subject=f"gift:{gift.pk}").exists()
            assert published == []
        else:
            winners["decline"] += 1
            assert declined is None, declined
            assert isinstance(claimed, GiftError)
            assert str(claimed) == "This gift was declined.", claimed
            assert gift.status == S.DECLINED
            _assert_delivered(gift, 0)
            refund = _assert_refunded_once(gift, 1)
            assert published == [("refund_execute_task", refund.pk)]
            assert _events(gift) == ["created", "paid", "declined"]

    assert _stock(sku) == winners["decline"]
    assert Order.objects.count() == winners["claim"]
    assert Refund.objects.count() == winners["decline"]
    print(winners)


@pytest.mark.django_db(transaction=True)
def test_cancelling_a_group_gift_while_its_units_are_claimed_refunds_exactly_the_rest(
    client, published: list[tuple]
) -> None:
    """Five claimers and the sender's cancel at once: every unit is either shipped or refunded."""
    sku = SkuFactory(price=Decimal("20.00"), stock=5 * 10)
    shipped = 0
    for attempt in range(10):
        gift = live_gift(client, sku=sku, quantity=5, price="20.00")
        published.clear()
        delays = [0.0] * 5 + [attempt * 0.8]  # the cancel comes later each time

        *claims, cancelled = _run_at_once(
            [_claim(gift.pk, _phone(n)) for n in range(5)] + [_cancel(gift.pk)], delays
        )

        gift.refresh_from_db()
        won = [c for c in claims if isinstance(c, GiftClaim)]
        assert _unexpected(claims) == []
        _assert_delivered(gift, len(won))
        shipped += len(won)
        if len(won) == 5:
            assert isinstance(cancelled, GiftError) and str(cancelled) == ACCEPTED_ALREADY
            assert gift.status == S.ACCEPTED
            assert not Refund.objects.filter(subject=f"gift:{gift.pk}").exists()
            assert published == []
        else:
            assert cancelled is None, cancelled
            assert gift.status == S.CANCELLED
            assert _messages(claims) == [CANCELLED] * (5 - len(won))
            refund = _assert_refunded_once(gift, 5 - len(won))
            assert refund.reason == f"{5 - len(won)} unclaimed"
            assert published == [("refund_execute_task", refund.pk)]
        refunded = sum(
            Refund.objects.filter(subject=f"gift:{gift.pk}").values_list("amount", flat=True)
        )
        assert gift.unit_price * gift.units_claimed + refunded == gift.amount

    assert _stock(sku) == 5 * 10 - shipped


# --- Expiry sweeps running side by side --------------------------------------------------


def _due_gifts(skus: list, per_sku: int) -> list[int]:
    return [gift.pk for gift in due_gifts(skus, per_sku)]


@pytest.mark.django_db(transaction=True)
def test_two_expiry_sweeps_share_a_thousand_due_gifts_and_expire_each_exactly_once(
    published: list[tuple],
) -> None:
    product = ProductFactory()
    skus = [
        SkuFactory(product=product, price=Decimal(f"{10 + n}.00"), stock=250 + n) for n in range(4)
    ]
    gift_ids = _due_gifts(skus, 250)
    assert [_stock(sku) for sku in skus] == [0, 1, 2, 3]

    first, second = _run_at_once([services.gifts_expire_due, services.gifts_expire_due])

    assert not isinstance(first, Exception), first
    assert not isinstance(second, Exception), second
    assert first + second == 1000, (first, second)  # each gift expired by one sweep
    assert Gift.objects.filter(pk__in=gift_ids, status=S.EXPIRED).count() == 1000
    assert not Gift.objects.exclude(status=S.EXPIRED).exists()
    assert not Gift.objects.filter(finished_at__isnull=True).exists()
    events = GiftEvent.objects.filter(kind=GiftEvent.Kind.EXPIRED)
    assert events.count() == 1000
    assert events.values("gift").distinct().count() == 1000
    assert GiftEvent.objects.exclude(kind=GiftEvent.Kind.EXPIRED).count() == 0
    refunds = Refund.objects.all()
    assert refunds.count() == 1000
    assert set(refunds.values_list("idempotency_key", flat=True)) == {
        f"gift-{pk}-unclaimed" for pk in gift_ids
    }
    for refund in refunds.select_related("payment"):
        assert refund.amount == refund.payment.amount
        assert refund.status == Refund.Status.PENDING
    # Every unit back in stock, once.
    assert [_stock(sku) for sku in skus] == [250, 251, 252, 253]
    # Every refund queued for the worker once, in batches of at most 100.
    queued = _published_refund_ids(published)
    assert sorted(queued) == sorted(refunds.values_list("pk", flat=True))
    assert all(name == "refunds_execute_task" for name, *_ in published)
    assert all(len(ids) <= 100 for _, ids in published)
    # Nothing is left for a third sweep.
    assert services.gifts_expire_due() == 0
    print(f"first sweep expired {first}, second {second}")


def _releases_in_step(monkeypatch: pytest.MonkeyPatch, function: str) -> None:
    """Make each thread pause after its first call to `shop.catalogue.stock.<function>` until
    the other thread has made its first call too (or 2 s passed): the two transactions then
    each hold one stock row when they ask for their next. This only widens a window that
    real traffic hits by chance; it changes no SQL and no lock order."""
    real = getattr(stock, function)
    barrier = threading.Barrier(2)
    seen = threading.local()

    def in_step(**kwargs: object) -> object:
        result = real(**kwargs)
        if not getattr(seen, "done", False):
            seen.done = True
            # If the other thread is waiting on our lock instead, the barrier times out: go on.
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=2)
        return result

    monkeypatch.setattr(stock, function, in_step)


@pytest.mark.django_db(transaction=True)
def test_two_expiry_sweeps_whose_batches_meet_skus_in_opposite_orders_do_not_deadlock(
    monkeypatch: pytest.MonkeyPatch, published: list[tuple]
) -> None:
    product = ProductFactory()
    x, y = (SkuFactory(product=product, price=Decimal("10.00"), stock=10) for _ in range(2))
    gift_ids = _due_gifts([x, y], 10)
    # By deadline: the first ten gifts start with SKU x, the next ten with SKU y; both
    # groups hold both SKUs. (Gifts of x and y alternate, shifted by one between groups.)
    order = [*[x, y] * 5, *[y, x] * 5]
    base = timezone.now() - timedelta(hours=1)
    by_sku = {x.pk: list(gift_ids[:10]), y.pk: list(gift_ids[10:])}
    for index, sku in enumerate(order):
        Gift.objects.filter(pk=by_sku[sku.pk].pop()).update(
            expires_at=base + timedelta(milliseconds=index)
        )
    _releases_in_step(monkeypatch, "release")
    # The first sweep locks the first batch of ten; only then does the second start, so it
    # gets the other ten (SKIP LOCKED), exactly as two beat ticks on two workers would.
    first_locked = threading.Event()
    real_expire = services.state.expire_locked

    def expire_locked(gift_ids: list[int]) -> int:
        first_locked.set()
        return real_expire(gift_ids)

    monkeypatch.setattr(services.state, "expire_locked", expire_locked)

    def second_sweep() -> int:
        assert first_locked.wait(timeout=10)
        return services.gifts_expire_due(batch=10)

    outcomes = _run_at_once([lambda: services.gifts_expire_due(batch=10), second_sweep])

    assert not [o for o in outcomes if isinstance(o, OperationalError)], outcomes
    assert sum(outcomes) == 20, outcomes  # type: ignore[arg-type]
    assert Gift.objects.filter(status=S.EXPIRED).count() == 20
    assert Refund.objects.count() == 20
    assert (_stock(x), _stock(y)) == (10, 10)


@pytest.mark.django_db(transaction=True)
def test_two_recipients_swapping_variants_on_two_gifts_both_get_their_choice(
    client, monkeypatch: pytest.MonkeyPatch, published: list[tuple]
) -> None:
    product = ProductFactory()
    red, blue = (SkuFactory(product=product, price=Decimal("99.00"), stock=5) for _ in range(2))
    red_gift = live_gift(client, sku=red, allow_variant_choice=True)
    blue_gift = live_gift(client, sku=blue, allow_variant_choice=True)
    _releases_in_step(monkeypatch, "reserve")

    outcomes = _run_at_once(
        [
            _claim(red_gift.pk, "13900000001", sku_id=blue.pk),
            _claim(blue_gift.pk, "13900000002", sku_id=red.pk),
        ]
    )

    assert all(isinstance(o, GiftClaim) for o in outcomes), outcomes
    assert [c.sku_id for c in outcomes] == [blue.pk, red.pk]  # type: ignore[union-attr]
    assert (_stock(red), _stock(blue)) == (4, 4)


@pytest.mark.django_db(transaction=True)
def test_ten_thank_you_notes_sent_at_once_keep_exactly_one(client, published: list[tuple]) -> None:
    """A double tap, two tabs: the notes race on the claim's compare-and-set; one wins."""
    gift = live_gift(client)
    claim = services.gift_claim(gift=gift, recipient=recipient(), sku_id=None, user=None)

    def thank(n: int) -> Callable[[], None]:
        return lambda: services.gift_thank(
            claim=GiftClaim.objects.select_related("gift").get(pk=claim.pk), thanks=f"谢谢 {n}"
        )

    outcomes = _run_at_once([thank(n) for n in range(10)])

    assert outcomes.count(None) == 1, outcomes
    assert _messages(outcomes) == ["You have already sent your thanks."] * 9
    claim.refresh_from_db()
    winner = outcomes.index(None)
    assert claim.thanks == f"谢谢 {winner}"
    notes = GiftEvent.objects.filter(gift=gift, kind=GiftEvent.Kind.THANKED)
    assert list(notes.values_list("note", flat=True)) == [claim.thanks]
