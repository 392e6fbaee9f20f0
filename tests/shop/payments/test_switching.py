"""A shopper who opened one provider's page and pays with another: the first provider's
trade is closed so it cannot be paid too, and what that provider then reports about its
closed trade does not touch the payment now at the other. If the close failed and the
shopper pays there after all, that payment counts; paid at both, the second is parked for
operators."""

import pytest
from django.test import Client
from django.utils import timezone

from shop.core.models import JobItem
from shop.orders.models import Order
from shop.payments import services as payments
from shop.payments.gateway import get_gateway
from shop.payments.models import Payment
from shop.payments.reconcile import Kind, reconcile
from shop.payments.services import PAID_TWICE_JOB
from shop.sandbox.models import SandboxCharge
from tests import sandbox
from tests.orders import place_order
from tests.shop.payments.alipay.flows import start

pytestmark = pytest.mark.django_db


@pytest.fixture
def switched(alipay_gateway, settings) -> tuple[Payment, Order, object]:
    """Placed with Alipay, its cashier opened, then paid with the sandbox instead."""
    settings.PAYMENT_METHODS = ["sandbox"]
    gateway, control = alipay_gateway
    payment, order = place_order()
    control.open(start(gateway, payment))
    payments.payment_start(payment=payment, return_url="http://testserver/back/", gateway="sandbox")
    return payment, order, control


@pytest.fixture
def close_lost(alipay_gateway, settings) -> tuple[Payment, Order, object, str]:
    """Placed with Alipay, its cashier opened, then switched to the sandbox while Alipay
    did not answer the close: the Alipay trade (`left`) can still be paid."""
    settings.PAYMENT_METHODS = ["sandbox"]
    gateway, control = alipay_gateway
    payment, order = place_order()
    left = start(gateway, payment)
    control.open(left)
    control.mode("system_error")
    payments.payment_start(payment=payment, return_url="http://testserver/back/", gateway="sandbox")
    payment.refresh_from_db()
    return payment, order, control, left


def _deliver_alipays(client: Client, control) -> list[int]:
    headers = {"content_type": "application/x-www-form-urlencoded; charset=utf-8"}
    return [
        client.post("/payments/notify/alipay/", data=n["body"], **headers).status_code
        for n in control.notifications()
    ]


def test_switching_provider_closes_the_trade_at_the_first(switched) -> None:
    payment, _, _ = switched

    assert get_gateway("alipay").query_payment(reference=payment.reference).status == "failed"
    payment.refresh_from_db()
    assert (payment.gateway, payment.status) == ("sandbox", Payment.Status.PENDING)


def test_the_first_providers_close_notice_leaves_the_payment_open_at_the_second(
    client: Client, switched
) -> None:
    payment, order, control = switched

    assert _deliver_alipays(client, control) == [200]
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING

    sandbox.pay(client, payment)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_coming_back_to_the_first_provider_pays_a_new_trade_there(client: Client, switched) -> None:
    payment, order, control = switched
    payments.payment_start(payment=payment, return_url="http://testserver/back/", gateway="alipay")
    payment.refresh_from_db()
    gateway = get_gateway("alipay")

    page = control.act(start(gateway, payment), "confirm")
    _deliver_alipays(client, control)

    assert page.status == 302, page.text
    assert payment.trade_no == f"{payment.reference}R2"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert reconcile("alipay", timezone.localdate()) == []


def test_money_taken_at_a_trade_the_shopper_left_is_reported_by_reconcile(
    client: Client, close_lost
) -> None:
    """Alipay did not answer the close, and the shopper paid there and at the sandbox."""
    payment, _, control, left = close_lost
    sandbox.pay(client, payment)

    control.act(left, "confirm")
    _deliver_alipays(client, control)

    differences = reconcile("alipay", timezone.localdate())
    assert [(d.kind, d.reference) for d in differences] == [
        (Kind.PAYMENT_NOT_PAID_HERE, payment.reference)
    ]


def test_money_taken_twice_is_parked_for_operators_with_what_to_refund(
    client: Client, close_lost
) -> None:
    payment, _, control, left = close_lost
    sandbox.pay(client, payment)

    control.act(left, "confirm")
    _deliver_alipays(client, control)

    item = JobItem.objects.get(job=PAID_TWICE_JOB, item_id=payment.pk)
    assert item.status == JobItem.Status.PARKED
    assert f"again at alipay ({payment.reference}," in item.error
    payment.refresh_from_db()
    assert (payment.gateway, payment.trade_no) == ("sandbox", f"{payment.reference}R1")


def test_paying_at_the_trade_the_shopper_left_pays_the_order_and_closes_the_other(
    client: Client, close_lost, django_capture_on_commit_callbacks
) -> None:
    """Alipay did not answer the close; the shopper then paid at Alipay after all."""
    payment, order, control, left = close_lost

    control.act(left, "confirm")
    with django_capture_on_commit_callbacks(execute=True):
        assert _deliver_alipays(client, control) == [200]

    payment.refresh_from_db()
    order.refresh_from_db()
    assert (payment.gateway, payment.trade_no, payment.status) == (
        "alipay",
        payment.reference,
        Payment.Status.SUCCEEDED,
    )
    assert order.status == Order.Status.PAID
    assert SandboxCharge.objects.get(merchant_reference=f"{payment.reference}R1").status == (
        SandboxCharge.Status.CLOSED
    )
    assert reconcile("alipay", timezone.localdate()) == []
    assert reconcile("sandbox") == []
