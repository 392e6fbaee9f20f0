"""Races on PostgreSQL, with real threads and real connections.

Every thread waits at a barrier so they start together, and closes its own connection
when done (Django opens one per thread; a leaked one would block the test database's
teardown). Data is committed (transaction=True) so that every thread sees it.
"""

import threading
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import translation

from shop.cart.models import CartLine
from shop.cart.selectors import cart_lines_priced
from shop.catalogue.models import StockRecord
from shop.core import signing
from shop.orders.models import Order, OrderEvent
from shop.orders.services import (
    CheckoutError,
    OrderError,
    cart_fingerprint,
    checkout_place_orders,
    order_cancel,
)
from shop.payments import services as payments
from shop.payments.gateway import Notification, get_gateway
from shop.payments.models import Payment, Refund
from shop.sandbox import provider
from shop.sandbox.models import SandboxCharge, SandboxNotification, SandboxRefund
from tests import sandbox
from tests.factories import CartFactory, CartLineFactory, SkuFactory, UserFactory
from tests.orders import ADDRESS


@pytest.fixture(autouse=True)
def _fast_passwords(settings: object) -> None:
    """Twenty users: hash their factory passwords cheaply, or hashing dominates the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Record instead of publishing to Celery, so no worker acts behind the test's back and
    the test can assert what would have been queued."""
    calls: list[tuple] = []

    def record(task: object, *args: object) -> bool:
        calls.append((task.name.rsplit(".", 1)[-1], *args))  # type: ignore[attr-defined]
        return True

    for module in ("shop.sandbox.provider", "shop.orders.services", "shop.payments.services"):
        monkeypatch.setattr(f"{module}.publish", record)
    return calls


def _run_at_once(calls: list[Callable[[], object]]) -> list[object]:
    """Run each call in its own thread, all released together; returns each call's result
    or the exception it raised, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return outcomes


def _checkout(user: object, cart: object) -> Callable[[], Payment]:
    fingerprint = cart_fingerprint(cart_lines_priced(cart=cart))

    def place() -> Payment:
        with translation.override("en"):
            return checkout_place_orders(
                user=user, cart=cart, address=ADDRESS, fingerprint=fingerprint, language="en"
            )

    return place


@pytest.mark.django_db(transaction=True)
def test_twenty_buyers_racing_for_three_units_get_three_orders_and_seventeen_sold_outs() -> None:
    sku = SkuFactory(price=Decimal("50.00"), stock=3)
    carts = []
    for _ in range(20):
        user = UserFactory()
        cart = CartFactory(user=user)
        CartLineFactory(cart=cart, sku=sku, quantity=1)
        carts.append((user, cart))

    outcomes = _run_at_once([_checkout(user, cart) for user, cart in carts])

    won = [o for o in outcomes if isinstance(o, Payment)]
    lost = [o for o in outcomes if isinstance(o, CheckoutError)]
    assert (len(won), len(lost)) == (3, 17), outcomes
    assert all("sold out" in str(error) for error in lost), [str(e) for e in lost]
    assert StockRecord.objects.get(sku=sku).quantity == 0
    assert Order.objects.count() == 3
    assert set(Order.objects.values_list("payment_id", flat=True)) == {p.pk for p in won}
    assert Payment.objects.count() == 3
    assert not Payment.objects.filter(orders__isnull=True).exists()
    assert OrderEvent.objects.filter(kind=OrderEvent.Kind.PLACED).count() == 3
    # The losers keep their carts; the winners' carts were emptied.
    assert CartLine.objects.count() == 17
    winners = set(Order.objects.values_list("user_id", flat=True))
    assert not CartLine.objects.filter(cart__user_id__in=winners).exists()


def _awaiting_notification() -> Order:
    """An unpaid order whose shopper has just paid at the provider: the payment.succeeded
    notification is queued, and the order's 30 minutes may run out at the same moment."""
    user = UserFactory()
    cart = CartFactory(user=user)
    CartLineFactory(cart=cart, sku=SkuFactory(price=Decimal("80.00"), stock=5), quantity=1)
    payment = _checkout(user, cart)()
    payments.payment_start(payment=payment, return_url="http://testserver/orders/")
    charge = SandboxCharge.objects.get(merchant_reference=payment.reference)
    provider.charge_complete(charge_id=charge.pk, approve=True)
    return Order.objects.get(payment=payment)


def _events(order: Order) -> list[str]:
    return list(order.events.values_list("kind", flat=True))


def _stock(order: Order) -> int:
    return StockRecord.objects.get(sku__order_lines__order=order).quantity


def _assert_paid(order: Order, published: list[tuple]) -> None:
    """Payment won: the order is paid once, nothing cancelled, released or refunded."""
    assert order.status == Order.Status.PAID
    assert _events(order) == ["placed", "paid"]
    assert _stock(order) == 4
    assert not Refund.objects.exists()
    assert published == [("send_order_confirmation_task", order.pk)]


def _assert_cancelled_and_refunded(order: Order, published: list[tuple]) -> None:
    """Cancel won: stock is back, and the money that arrived anyway goes back once."""
    assert order.status == Order.Status.CANCELLED
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED
    refund = Refund.objects.get()
    assert (refund.idempotency_key, refund.subject, refund.amount) == (
        f"late-{order.number}",
        f"order:{order.pk}",
        order.total,
    )
    assert published == [("refund_execute_task", refund.pk)]
    # What the worker would do with that task:
    assert payments.refund_execute(refund_id=refund.pk).status == Refund.Status.SUCCEEDED
    assert SandboxRefund.objects.get().idempotency_key == refund.idempotency_key
    assert _events(order) == ["placed", "cancelled", "refunded"]
    assert _stock(order) == 5


def _queued_notification() -> Notification:
    """The provider's queued notification, verified and parsed as the notify view does."""
    queued = SandboxNotification.objects.get()
    body = queued.body.encode()
    header = signing.sign(body, settings.SANDBOX_SECRET)
    return get_gateway().parse_notification(body=body, headers={"X-Sandbox-Signature": header})


def _after(delay: float, call: Callable[[], object]) -> Callable[[], object]:
    def delayed() -> object:
        time.sleep(delay)
        return call()

    return delayed


# The cancel starts from 2 ms before to 7.5 ms after the payment, in 20 steps of 0.5 ms. A
# cancel is a shorter transaction than a payment, so this spread gives both winners and,
# in between, attempts where both transactions are open at once and one waits on the other.
STAGGER_MS = [attempt * 0.5 - 2 for attempt in range(20)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stagger_ms", STAGGER_MS, ids=[f"cancel{ms:+.1f}ms" for ms in STAGGER_MS])
def test_cancel_racing_the_payment_notification_has_exactly_one_winner(
    stagger_ms: float, published: list[tuple]
) -> None:
    order = _awaiting_notification()
    notification = _queued_notification()
    published.clear()

    cancelled, handled = _run_at_once(
        [
            _after(
                max(stagger_ms, 0) / 1000,  # the cancel waits
                lambda: order_cancel(order=Order.objects.get(pk=order.pk), note="Not paid in time"),
            ),
            _after(
                max(-stagger_ms, 0) / 1000,  # the payment waits
                lambda: payments.notification_handle(notification=notification, gateway="sandbox"),
            ),
        ]
    )

    assert handled is None, handled
    order.refresh_from_db()
    if isinstance(cancelled, OrderError):
        _assert_paid(order, published)
    else:
        assert cancelled is None, cancelled
        _assert_cancelled_and_refunded(order, published)


@pytest.mark.django_db(transaction=True)
def test_a_payment_notification_after_the_cancel_refunds_the_late_money(
    published: list[tuple],
) -> None:
    order = _awaiting_notification()
    published.clear()
    order_cancel(order=order, note="Not paid in time")

    assert sandbox.deliver(Client()) == [200]

    order.refresh_from_db()
    _assert_cancelled_and_refunded(order, published)


@pytest.mark.django_db(transaction=True)
def test_a_cancel_after_the_payment_notification_is_refused(published: list[tuple]) -> None:
    order = _awaiting_notification()
    published.clear()
    assert sandbox.deliver(Client()) == [200]

    with pytest.raises(OrderError):
        order_cancel(order=order, note="Not paid in time")

    order.refresh_from_db()
    _assert_paid(order, published)


@pytest.mark.django_db(transaction=True)
def test_one_cart_submitted_twice_at_once_places_its_orders_once() -> None:
    user = UserFactory()
    cart = CartFactory(user=user)
    sku = SkuFactory(price=Decimal("50.00"), stock=10)
    CartLineFactory(cart=cart, sku=sku, quantity=1)

    outcomes = _run_at_once([_checkout(user, cart), _checkout(user, cart)])

    assert sorted(type(o).__name__ for o in outcomes) == ["CheckoutError", "Payment"]
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
    assert StockRecord.objects.get(sku=sku).quantity == 9
