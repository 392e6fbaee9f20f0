"""Gift expiry and refunds with real Celery processes: beat, workers, brokers that go away.

Isolation. Tests that only need a worker use the suite's shared one (`celery_worker`, on
the suite's broker). Tests that kill a worker or stop the broker get a broker of their
own: a private `redis-server` on a free port, with a dedicated worker on it. The shared
worker consumes every task on the suite's broker, so on that broker there would be no
telling which worker takes the refund; on a private broker only the dedicated worker
exists, and killing it or stopping the broker cannot disturb any other test. While such a
test runs, this process publishes to the private broker (see `publish_to`).

The sandbox provider's notifications are not POSTed by this process's publishes (nobody
listens for them here); processes started by this file get an unreachable SITE_URL.
"""

import signal
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gifting import services
from gifting.models import Gift, GiftClaim, GiftEvent
from gifting.tasks import expire_due_gifts_task
from shop.catalogue.models import StockRecord
from shop.core import tasks as core_tasks
from shop.orders.models import Order
from shop.payments.models import Refund
from shop.payments.tasks import refunds_resume_stuck
from shop.sandbox.models import SandboxNotification, SandboxRefund
from tests import sandbox
from tests.conftest import wait_until
from tests.gifts import create_gift, live_gift, recipient
from tests.workers import PrivateRedis, Worker, log_tail, start_beat

S = Gift.Status


@pytest.fixture(autouse=True)
def _sandbox_notifications_not_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in tests/shop/payments/test_refund_worker.py: this process's provider calls do
    not queue notification deliveries for a worker (nothing of this test listens)."""
    monkeypatch.setattr("shop.sandbox.provider.publish", lambda task, *args: True)


def _spy_on_publish(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Publish for real, recording (task name, args, published?, seconds) per call."""
    calls: list[tuple] = []

    def spy(task: object, *args: object) -> bool:
        started = time.monotonic()
        ok = core_tasks.publish(task, *args)
        calls.append((task.name.rsplit(".", 1)[-1], args, ok, time.monotonic() - started))  # type: ignore[attr-defined]
        return ok

    for module in (
        "shop.payments.services",
        "shop.payments.tasks",
        "shop.sandbox.provider",
    ):
        monkeypatch.setattr(f"{module}.publish", spy)
    return calls


# --- Assertions -----------------------------------------------------------------------------


def _stock(gift: Gift) -> int:
    return StockRecord.objects.get(sku=gift.sku).quantity


def _events(gift: Gift) -> list[str]:
    return list(GiftEvent.objects.filter(gift=gift).order_by("pk").values_list("kind", flat=True))


def _refund_of(gift: Gift) -> Refund:
    return Refund.objects.get(subject=f"gift:{gift.pk}")


def _refunded(gift: Gift) -> bool:
    return (
        Refund.objects.filter(subject=f"gift:{gift.pk}", status=Refund.Status.SUCCEEDED).exists()
        and Gift.objects.get(pk=gift.pk).refunded_amount > 0
    )


def _assert_refunded_exactly_once(gift: Gift, amount: Decimal) -> Refund:
    """One Refund row and one provider refund under the gift's key, counted on the gift once."""
    key = f"gift-{gift.pk}-unclaimed"
    refund = Refund.objects.get()  # the only refund there is
    at_provider = SandboxRefund.objects.get()  # the only refund the provider made
    assert (refund.subject, refund.idempotency_key, refund.amount, refund.status) == (
        f"gift:{gift.pk}",
        key,
        amount,
        Refund.Status.SUCCEEDED,
    )
    assert (at_provider.idempotency_key, at_provider.amount, at_provider.status) == (
        key,
        amount,
        SandboxRefund.Status.SUCCEEDED,
    )
    assert at_provider.charge.merchant_reference == gift.payment.reference
    assert refund.provider_reference == at_provider.pk
    gift.refresh_from_db()
    assert gift.refunded_amount == amount
    assert _events(gift).count("refunded") == 1
    return refund


# --- Tests ----------------------------------------------------------------------------------


def test_an_unaccepted_gift_expires_on_the_beat_and_the_worker_refunds_it_once(
    celery_worker, client: Client, settings, tmp_path: Path
) -> None:
    beat, log = start_beat(tmp_path, settings.CELERY_BROKER_URL, GIFT_EXPIRY_SWEEP_SECONDS="1")
    try:
        # Beat is ticking once it has sent its first sweep (1 s after it started).
        assert wait_until(
            lambda: "Sending due task expire-gifts" in log.read_text(errors="replace"),
            timeout=15,
        ), log_tail(log)
        settings.GIFT_ACCEPT_WINDOW_SECONDS = 2
        gift = live_gift(client, price="88.00", stock=5)
        assert (gift.expires_at - gift.paid_at).total_seconds() == pytest.approx(2, abs=0.1)
        assert _stock(gift) == 4

        assert wait_until(lambda: _refunded(gift), timeout=15), (
            Gift.objects.get(pk=gift.pk).status,
            list(Refund.objects.values_list("status", "attempts")),
            log_tail(log),
        )

        gift.refresh_from_db()
        assert gift.status == S.EXPIRED
        # Expired by the sweep, after its deadline and no later than a tick or two past it.
        assert gift.expires_at <= gift.finished_at
        assert (gift.finished_at - gift.expires_at).total_seconds() < 3
        refund = _assert_refunded_exactly_once(gift, Decimal("88.00"))
        assert refund.reason == "1 unclaimed"
        assert _stock(gift) == 5
        assert _events(gift) == ["created", "paid", "expired", "refunded"]

        # Beat keeps sweeping every second: nothing is expired, refunded or released again.
        ticks = log.read_text(errors="replace").count("Sending due task expire-gifts")
        assert wait_until(
            lambda: (
                log.read_text(errors="replace").count("Sending due task expire-gifts") >= ticks + 2
            ),
            timeout=5,
        )
        time.sleep(0.5)  # let the worker run the last of those sweeps
        _assert_refunded_exactly_once(gift, Decimal("88.00"))
        assert _stock(gift) == 5
        assert _events(gift) == ["created", "paid", "expired", "refunded"]
        assert not Order.objects.exists()
        assert not GiftClaim.objects.exists()
    finally:
        beat.terminate()
        beat.wait(timeout=15)


def test_a_worker_killed_in_the_middle_of_a_refund_refunds_exactly_once_after_a_restart(
    private_broker: PrivateRedis, client: Client, tmp_path: Path
) -> None:
    gift = live_gift(client, price="66.00", stock=3)
    key = f"gift-{gift.pk}-unclaimed"
    first = Worker(tmp_path, private_broker.url, REFUND_RESUME_AFTER_SECONDS="2")
    second = None
    try:
        sandbox.set_mode(refund_delay_ms=3000)  # the provider books the refund, then stalls
        Gift.objects.filter(pk=gift.pk).update(expires_at=timezone.now())
        assert services.gifts_expire_due() == 1  # queues the refund for `first`

        # The provider has the refund on its books; the worker waits for the answer...
        assert wait_until(
            lambda: SandboxRefund.objects.filter(idempotency_key=key).exists(), timeout=10
        ), log_tail(first.log)
        first.kill()  # ...and dies, the message unacknowledged.

        refund = _refund_of(gift)
        assert (refund.status, refund.attempts) == (Refund.Status.PENDING, 1)
        gift.refresh_from_db()
        assert (gift.status, gift.refunded_amount) == (S.EXPIRED, Decimal("0.00"))
        assert _stock(gift) == 3  # released once, when the gift expired

        sandbox.set_mode(refund_delay_ms=0)
        second = Worker(tmp_path, private_broker.url, REFUND_RESUME_AFTER_SECONDS="2")

        # The stuck-refund sweep, as beat would run it, until it has picked the refund up
        # (only once it is REFUND_RESUME_AFTER_SECONDS old, in the worker's settings).
        def resumed() -> bool:
            refunds_resume_stuck.delay()
            return wait_until(lambda: _refund_of(gift).status == Refund.Status.SUCCEEDED, timeout=1)

        assert wait_until(resumed, timeout=15, interval=0), log_tail(second.log)
        time.sleep(1.5)  # any re-queued duplicates run now, and must change nothing

        refund = _assert_refunded_exactly_once(gift, Decimal("66.00"))
        assert refund.attempts >= 2
        assert SandboxRefund.objects.filter(idempotency_key=key).count() == 1
        assert gift.status == S.EXPIRED
        assert _stock(gift) == 3
        assert _events(gift) == ["created", "paid", "expired", "refunded"]
    finally:
        sandbox.set_mode(refund_delay_ms=0)
        first.stop()
        if second is not None:
            second.stop()


def test_a_gift_paid_and_expired_while_the_broker_is_down_is_refunded_once_it_is_back(
    private_broker: PrivateRedis, client: Client, settings, tmp_path: Path, monkeypatch
) -> None:
    gift = create_gift(price="45.00", stock=2)
    assert _stock(gift) == 1
    published = _spy_on_publish(monkeypatch)
    private_broker.stop()

    # Paid: the provider's notification reaches the shop; nothing waits on the broker.
    started = time.monotonic()
    sandbox.pay(client, gift.payment)
    assert time.monotonic() - started < 3
    gift.refresh_from_db()
    assert gift.status == S.AWAITING_RECIPIENT

    # Expired by the sweep: its refund cannot be queued, which must neither raise nor stall.
    Gift.objects.filter(pk=gift.pk).update(expires_at=timezone.now())
    started = time.monotonic()
    assert services.gifts_expire_due() == 1
    assert time.monotonic() - started < 3
    refund = _refund_of(gift)
    assert [(name, args, ok) for name, args, ok, _ in published] == [
        ("deliver_notification", (SandboxNotification.objects.get().pk,), False),  # paying
        ("refunds_execute_task", ([refund.pk],), False),
    ]
    assert all(seconds < 3 for *_, seconds in published)
    gift.refresh_from_db()
    assert (gift.status, gift.refunded_amount) == (S.EXPIRED, Decimal("0.00"))
    assert (refund.status, refund.attempts, refund.amount) == (
        Refund.Status.PENDING,
        0,
        Decimal("45.00"),
    )
    assert not SandboxRefund.objects.exists()
    assert _stock(gift) == 2

    # The broker is back; a worker runs; the stuck-refund sweep re-queues the refund.
    private_broker.start()
    worker = Worker(tmp_path, private_broker.url)
    try:
        published.clear()
        settings.REFUND_RESUME_AFTER_SECONDS = 0
        refunds_resume_stuck()  # run here, as beat's tick would on a worker
        assert [(name, args, ok) for name, args, ok, _ in published] == [
            ("refunds_execute_task", ([refund.pk],), True)
        ]
        assert wait_until(lambda: _refunded(gift), timeout=15), log_tail(worker.log)
        refunds_resume_stuck()  # a later tick finds nothing left to do
        assert len(published) == 1
        time.sleep(0.5)
        _assert_refunded_exactly_once(gift, Decimal("45.00"))
        assert _events(gift) == ["created", "paid", "expired", "refunded"]
        assert _stock(gift) == 2
    finally:
        worker.stop()


def test_cancelling_a_gift_while_the_broker_hangs_still_answers_within_3_seconds(
    private_broker: PrivateRedis, client: Client, tmp_path: Path
) -> None:
    gift = live_gift(client, price="30.00", stock=2)
    client.force_login(gift.sender)
    private_broker.process.send_signal(signal.SIGSTOP)  # up, accepting, silent
    answered: list[object] = []

    def cancel() -> None:
        try:
            answered.append(client.post(reverse("gifting:cancel", args=[gift.pk])))
        finally:
            connection.close()

    thread = threading.Thread(target=cancel)
    started = time.monotonic()
    thread.start()
    thread.join(timeout=5)
    hung = thread.is_alive()
    elapsed = time.monotonic() - started
    private_broker.process.send_signal(signal.SIGCONT)  # let a hung request finish
    thread.join(timeout=30)
    assert not thread.is_alive()

    assert not hung, "the cancel request was still waiting for the broker after 5 s"
    assert elapsed < 3
    assert answered[0].status_code == 302
    gift.refresh_from_db()
    assert gift.status == S.CANCELLED
    assert _refund_of(gift).status == Refund.Status.PENDING


def test_a_group_gift_expiring_with_3_of_5_units_claimed_is_refunded_2_units_by_the_worker(
    celery_worker, client: Client
) -> None:
    gift = live_gift(client, quantity=5, price="20.00", stock=7)
    assert _stock(gift) == 2
    for n in range(3):
        services.gift_claim(
            gift=gift, recipient=recipient(phone=f"1391234567{n}"), sku_id=None, user=None
        )
    Gift.objects.filter(pk=gift.pk).update(expires_at=timezone.now())

    expire_due_gifts_task.delay()  # the beat task, run by the worker: sweep, then refund

    assert wait_until(lambda: _refunded(gift), timeout=20)
    time.sleep(0.3)
    refund = _assert_refunded_exactly_once(gift, Decimal("40.00"))
    assert refund.reason == "2 unclaimed"
    gift.refresh_from_db()
    assert (gift.status, gift.units_claimed) == (S.EXPIRED, 3)
    assert _stock(gift) == 2 + 2  # the two unclaimed units, not the three shipped
    # The three recipients keep their gifts: orders paid, nothing taken back from them.
    orders_of_gift = Order.objects.filter(gift_claim__gift=gift)
    assert orders_of_gift.count() == GiftClaim.objects.filter(gift=gift).count() == 3
    assert set(orders_of_gift.values_list("status", flat=True)) == {Order.Status.PAID}
    assert set(orders_of_gift.values_list("refunded_amount", flat=True)) == {Decimal("0.00")}
    assert _events(gift) == [
        "created",
        "paid",
        "accepted",
        "accepted",
        "accepted",
        "expired",
        "refunded",
    ]
    assert gift.refunded_amount + gift.unit_price * gift.units_claimed == gift.amount
