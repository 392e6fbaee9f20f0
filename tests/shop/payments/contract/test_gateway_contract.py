"""The gateway contract: what every adapter, against its provider (emulator), must do
for the shop, through the real services and the notify view. Parametrised by adapter
(see drivers.py)."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from shop.orders import services as orders
from shop.orders.models import Order, OrderEvent
from shop.payments import services as payments
from shop.payments.gateway import get_gateway
from shop.payments.models import Payment, PaymentNotification, Refund
from shop.payments.reconcile import Kind, reconcile
from tests.orders import place_order

from .drivers import DRIVERS, post, stale

pytestmark = pytest.mark.django_db


def _deliver(client: Client, driver) -> list[int]:
    return [post(client, driver.name, sent).status_code for sent in driver.sent()]


def _paid(client: Client, driver, price: str = "88.00") -> tuple[Payment, Order]:
    payment, order = place_order(price=price)
    driver.confirm(payment)
    assert all(200 <= status < 300 for status in _deliver(client, driver))
    payment.refresh_from_db()
    order.refresh_from_db()
    return payment, order


def _error(response) -> str:
    """The refusal's message as the adapter put it in its documented answer."""
    if response["Content-Type"].startswith("application/json"):
        return json.loads(response.content)["message"]
    return response.content.decode()


def _refund(payment: Payment, order: Order, amount: str, key: str = "refund-1") -> Refund:
    return payments.refund_create(
        payment=payment,
        amount=Decimal(amount),
        subject=f"order:{order.pk}",
        subject_limit=order.total,
        idempotency_key=key,
    )


def test_a_confirmed_payment_is_paid_by_its_notification(client: Client, driver) -> None:
    payment, order = _paid(client, driver)

    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.provider_reference
    assert order.status == Order.Status.PAID


def test_a_declined_payment_leaves_the_order_unpaid(client: Client, driver) -> None:
    payment, order = place_order()
    driver.confirm(payment, approve=False)
    _deliver(client, driver)

    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT


def test_a_duplicate_notification_is_applied_once(client: Client, driver) -> None:
    payment, order = place_order()
    driver.confirm(payment)
    (sent,) = driver.sent()

    statuses = [post(client, driver.name, sent).status_code for _ in range(2)]

    assert all(200 <= status < 300 for status in statuses)
    assert PaymentNotification.objects.count() == 1
    assert OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.PAID).count() == 1


def test_a_forged_signature_is_refused_and_changes_nothing(client: Client, driver) -> None:
    payment, _ = place_order()
    driver.confirm(payment)
    (sent,) = driver.sent()

    response = post(client, driver.name, driver.forge(sent))

    assert 400 <= response.status_code < 500
    assert response.content == get_gateway().answer(_error(response)).body
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert not PaymentNotification.objects.exists()


@pytest.mark.parametrize(
    "driver", sorted(n for n, d in DRIVERS.items() if d.signs_timestamps), indirect=True
)
def test_a_stale_notification_is_refused(client: Client, driver) -> None:
    payment, _ = place_order()

    response = post(
        client, driver.name, driver.crafted(payment.reference, payment.amount, timestamp=stale())
    )

    assert 400 <= response.status_code < 500
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


def test_a_notification_for_another_amount_does_not_pay(client: Client, driver) -> None:
    payment, order = place_order(price="88.00")

    response = post(client, driver.name, driver.crafted(payment.reference, Decimal("0.01")))

    assert response.status_code < 500
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert order.status == Order.Status.PENDING_PAYMENT


def test_a_notification_for_an_unknown_trade_changes_nothing(client: Client, driver) -> None:
    response = post(client, driver.name, driver.crafted("P20261201UNKNOWN", Decimal("9.00")))

    assert response.status_code < 500
    assert not Payment.objects.filter(status=Payment.Status.SUCCEEDED).exists()


@pytest.mark.parametrize("body", [b"", b"{not json", b'{"resource": 1}', "\u793c".encode("gbk")])
def test_a_malformed_notification_gets_the_failure_answer(client: Client, driver, body) -> None:
    response = post(client, driver.name, (body, {}))

    assert 400 <= response.status_code < 500
    assert response.content == get_gateway().answer(_error(response)).body


def test_a_partial_refund_is_made_once_and_settled(client: Client, driver) -> None:
    payment, order = _paid(client, driver)

    refund = _refund(payment, order, "30.00")
    payments.refunds_execute(refund_ids=[refund.pk])
    statuses = _deliver(client, driver)  # the provider's refund notification, if it sends one

    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert all(200 <= status < 300 for status in statuses)
    record = get_gateway().query_refund(
        idempotency_key=refund.idempotency_key, payment_reference=payment.reference
    )
    assert (record.status, record.amount) == ("succeeded", Decimal("30.00"))


def test_a_refund_whose_answer_timed_out_is_retried_with_its_key_and_made_once(
    client: Client, driver
) -> None:
    payment, order = _paid(client, driver)
    refund = _refund(payment, order, "88.00")

    driver.time_out(True)
    assert payments.refunds_execute(refund_ids=[refund.pk]) == [refund.pk]
    driver.time_out(False)
    assert payments.refunds_execute(refund_ids=[refund.pk]) == []

    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    refunds = [r for r in get_gateway().records(timezone.localdate()) if r.kind == "refund"]
    assert [(r.reference, r.amount) for r in refunds] == [("refund-1", Decimal("88.00"))]


def test_a_refund_the_provider_refuses_fails(client: Client, driver) -> None:
    payment, order = _paid(client, driver)
    refund = _refund(payment, order, "10.00")

    driver.refuse_refunds()
    payments.refunds_execute(refund_ids=[refund.pk])
    _deliver(client, driver)

    refund.refresh_from_db()
    assert refund.status == Refund.Status.FAILED


def test_an_unpaid_payment_is_queried_then_closed_so_a_late_payment_cannot_arrive(
    client: Client, driver, django_capture_on_commit_callbacks
) -> None:
    payment, order = place_order()
    driver.open(payment)  # the payer opens the provider's page, and leaves
    gateway = get_gateway()
    assert gateway.query_payment(reference=payment.reference).status == "pending"

    with django_capture_on_commit_callbacks(execute=True):
        orders.order_cancel(order=order)
    driver.confirm(payment)  # the payer tries anyway
    _deliver(client, driver)

    assert gateway.query_payment(reference=payment.reference).status == "failed"
    payment.refresh_from_db()
    # Failed where the provider reports the close (Alipay), else still pending.
    assert payment.status in (Payment.Status.PENDING, Payment.Status.FAILED)
    assert not Refund.objects.exists()


def test_closing_a_paid_payment_is_refused(client: Client, driver) -> None:
    payment, _ = _paid(client, driver)

    with pytest.raises(Exception, match="refund it instead"):
        get_gateway().close_payment(reference=payment.reference)


def test_closing_an_unknown_payment_is_not_an_error(driver) -> None:
    get_gateway().close_payment(reference="P20261201NEVERSEEN")


def test_the_days_books_reconcile(client: Client, driver) -> None:
    payment, order = _paid(client, driver)
    refund = _refund(payment, order, "8.00")
    payments.refunds_execute(refund_ids=[refund.pk])
    _deliver(client, driver)

    assert reconcile(driver.name, timezone.localdate()) == []
    call_command("reconcile", "--provider", driver.name, "--date", timezone.localdate().isoformat())


def test_a_bill_that_disagrees_is_reported_and_the_command_fails(client: Client, driver) -> None:
    payment, _ = _paid(client, driver)

    driver.disagree(payment)
    differences = reconcile(driver.name, timezone.localdate())

    assert [(d.kind, d.reference) for d in differences] == [
        (Kind.PAYMENT_AMOUNT_MISMATCH, payment.reference)
    ]
    with pytest.raises(CommandError, match="differ"):
        call_command(
            "reconcile", "--provider", driver.name, "--date", timezone.localdate().isoformat()
        )
