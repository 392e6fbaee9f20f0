"""The provider's notifications through the notify view (/payments/notify/sandbox/).

A payment is marked paid only by a notification that verifies (signature over the exact
body, timestamp within five minutes) and whose amount is the amount due, and only once
however often it arrives, in sequence or all at once.
"""

import json
import threading
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from shop.cart.selectors import cart_lines_priced
from shop.core import signing
from shop.orders.models import Order, OrderEvent
from shop.orders.services import cart_fingerprint, checkout_place_orders
from shop.payments import services as payments
from shop.payments.models import Payment, PaymentNotification
from shop.sandbox import provider
from shop.sandbox.models import SandboxCharge, SandboxNotification
from tests import sandbox
from tests.factories import (
    CartFactory,
    CartLineFactory,
    MerchantFactory,
    ProductFactory,
    SkuFactory,
    UserFactory,
)
from tests.orders import ADDRESS

pytestmark = pytest.mark.django_db

NOTIFY_PATH = "/payments/notify/sandbox/"


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Keep Celery out: record what would be published (the sandbox's deliveries, the
    confirmation e-mails) instead. These tests deliver notifications themselves."""
    published: list[tuple] = []

    def record(task: object, *args: object) -> bool:
        published.append((task.name, *args))  # type: ignore[attr-defined]
        return True

    monkeypatch.setattr("shop.sandbox.provider.publish", record)
    monkeypatch.setattr("shop.orders.services.publish", record)
    return published


def _confirmations(published: list[tuple]) -> list[int]:
    return sorted(
        args[0] for name, *args in published if name.endswith("send_order_confirmation_task")
    )


@pytest.fixture
def payment() -> Payment:
    """Two merchants' orders (¥129.00 + ¥58.50) under one payment, which the shopper has
    just confirmed on the provider's page: its payment.succeeded notification is queued."""
    user = UserFactory()
    cart = CartFactory(user=user)
    for price in (Decimal("129.00"), Decimal("58.50")):
        sku = SkuFactory(product=ProductFactory(merchant=MerchantFactory()), price=price, stock=5)
        CartLineFactory(cart=cart, sku=sku, quantity=1)
    payment = checkout_place_orders(
        user=user,
        cart=cart,
        address=ADDRESS,
        fingerprint=cart_fingerprint(cart_lines_priced(cart=cart)),
        language="en",
    )
    payments.payment_start(payment=payment, return_url="http://testserver/orders/")
    charge = SandboxCharge.objects.get(merchant_reference=payment.reference)
    provider.charge_complete(charge_id=charge.pk, approve=True)
    return payment


def _body() -> str:
    """The provider's one queued notification, byte for byte."""
    return SandboxNotification.objects.get().body


def _event(**changes: object) -> str:
    """The queued notification's event with some fields changed (data fields by name)."""
    event = json.loads(_body())
    for key, value in changes.items():
        if key in event["data"]:
            event["data"][key] = value
        else:
            event[key] = value
    return json.dumps(event)


def _post(client: Client, body: str, **kwargs: object):
    return sandbox.post_notification(client, body, url=NOTIFY_PATH, **kwargs)


def _paid_events() -> int:
    return OrderEvent.objects.filter(kind=OrderEvent.Kind.PAID).count()


def _assert_nothing_paid(payment: Payment) -> None:
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert payment.succeeded_at is None
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.PENDING_PAYMENT}
    assert _paid_events() == 0


def test_a_valid_notification_marks_the_payment_and_its_orders_paid(client, payment) -> None:
    assert sandbox.deliver(client) == [200]

    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.succeeded_at is not None
    assert payment.provider_reference == SandboxCharge.objects.get().pk
    assert PaymentNotification.objects.count() == 1
    orders = Order.objects.filter(payment=payment)
    assert [o.status for o in orders] == [Order.Status.PAID, Order.Status.PAID]
    for order in orders:
        assert order.paid_at is not None
        assert order.events.filter(kind=OrderEvent.Kind.PAID).count() == 1


def test_a_valid_notification_queues_one_confirmation_per_order(
    client, payment, django_capture_on_commit_callbacks, _no_broker
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, _body())

    assert _confirmations(_no_broker) == sorted(Order.objects.values_list("pk", flat=True))


def test_the_same_notification_replayed_ten_times_changes_nothing_more(
    client, payment, django_capture_on_commit_callbacks
) -> None:
    body = _body()
    _post(client, body)
    payment.refresh_from_db()
    paid_at = dict(Order.objects.values_list("pk", "paid_at"))

    with django_capture_on_commit_callbacks() as callbacks:
        statuses = [_post(client, body).status_code for _ in range(10)]

    assert statuses == [200] * 10
    assert callbacks == []  # no confirmation e-mail queued again
    assert PaymentNotification.objects.count() == 1
    assert Payment.objects.get().succeeded_at == payment.succeeded_at
    assert dict(Order.objects.values_list("pk", "paid_at")) == paid_at
    assert _paid_events() == 2
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.PAID}


@pytest.mark.django_db(transaction=True)
def test_the_same_notification_sent_by_ten_threads_at_once_pays_once(payment, _no_broker) -> None:
    body = _body()
    barrier = threading.Barrier(10)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait(timeout=10)
            statuses.append(_post(Client(), body).status_code)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert statuses == [200] * 10
    assert PaymentNotification.objects.count() == 1
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED
    orders = Order.objects.all()
    assert [o.status for o in orders] == [Order.Status.PAID, Order.Status.PAID]
    for order in orders:
        assert order.events.filter(kind=OrderEvent.Kind.PAID).count() == 1
    assert _confirmations(_no_broker) == sorted(o.pk for o in orders)


def test_a_notification_signed_with_the_wrong_secret_is_refused(client, payment) -> None:
    response = _post(client, _body(), secret="not-the-sandbox-secret")

    assert response.status_code == 400
    assert response.text == "Bad or expired signature."
    assert not PaymentNotification.objects.exists()
    _assert_nothing_paid(payment)


def test_a_tampered_body_is_refused(client, payment) -> None:
    genuine = _body()
    header = signing.sign(genuine.encode(), settings.SANDBOX_SECRET)
    tampered = genuine.replace('"amount": "187.50"', '"amount": "0.01"')
    assert tampered != genuine

    response = client.post(
        NOTIFY_PATH, tampered, content_type="application/json", HTTP_X_SANDBOX_SIGNATURE=header
    )

    assert response.status_code == 400
    assert not PaymentNotification.objects.exists()
    _assert_nothing_paid(payment)


def test_a_notification_without_a_signature_header_is_refused(client, payment) -> None:
    response = client.post(NOTIFY_PATH, _body(), content_type="application/json")

    assert response.status_code == 400
    assert not PaymentNotification.objects.exists()
    _assert_nothing_paid(payment)


def test_a_notification_signed_more_than_five_minutes_ago_is_refused(client, payment) -> None:
    response = _post(client, _body(), timestamp=int(time.time()) - 301)

    assert response.status_code == 400
    assert response.text == "Bad or expired signature."
    assert not PaymentNotification.objects.exists()
    _assert_nothing_paid(payment)


def test_a_notification_signed_four_minutes_ago_is_still_accepted(client, payment) -> None:
    response = _post(client, _body(), timestamp=int(time.time()) - 240)

    assert response.status_code == 200
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED


def test_a_notification_for_another_amount_does_not_mark_the_payment_paid(client, payment) -> None:
    response = _post(client, _event(amount="1.00"))

    assert response.status_code == 200  # verified and recorded, so not redelivered forever
    assert PaymentNotification.objects.count() == 1
    _assert_nothing_paid(payment)


def test_a_payment_failed_after_success_does_not_unpay(client, payment) -> None:
    _post(client, _body())
    payment.refresh_from_db()

    response = _post(client, _event(id="evt_failed_later", type="payment.failed"))

    assert response.status_code == 200
    assert PaymentNotification.objects.count() == 2
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED
    assert Payment.objects.get().succeeded_at == payment.succeeded_at
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.PAID}
    assert _paid_events() == 2
    assert not OrderEvent.objects.filter(kind=OrderEvent.Kind.CANCELLED).exists()


def test_a_notification_to_another_gateways_url_is_not_found(client, payment) -> None:
    response = sandbox.post_notification(client, _body(), url="/payments/notify/wechat/")

    assert response.status_code == 404
    assert not PaymentNotification.objects.exists()
    _assert_nothing_paid(payment)
