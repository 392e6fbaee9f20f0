"""alipay.trade.query and alipay.trade.close: a closed trade cannot be paid late."""

from decimal import Decimal

import pytest

from shop.payments.gateway import GatewayError

from .flows import handle, pay, pending_payment, refund, start

pytestmark = pytest.mark.django_db


def test_a_trade_alipay_never_saw_is_not_found(alipay_gateway):
    gateway, _ = alipay_gateway

    assert gateway.query_payment(reference=pending_payment().reference) is None


def test_an_opened_unpaid_trade_is_pending(alipay_gateway):
    gateway, control = alipay_gateway
    payment = pending_payment()
    control.open(start(gateway, payment))

    assert gateway.query_payment(reference=payment.reference).status == "pending"


def test_a_paid_trade_is_succeeded_with_its_amount(alipay_gateway):
    gateway, control = alipay_gateway
    payment = pending_payment("88.80")
    pay(gateway, control, payment)

    record = gateway.query_payment(reference=payment.reference)

    assert (record.kind, record.amount, record.status) == ("payment", Decimal("88.80"), "succeeded")
    assert record.provider_reference == control.trades()[payment.reference]["trade_no"]


def test_a_closed_trade_cannot_be_paid_late(alipay_gateway):
    gateway, control = alipay_gateway
    payment = pending_payment()
    redirect_url = start(gateway, payment)
    control.open(redirect_url)
    gateway.close_payment(reference=payment.reference)

    late = control.open(redirect_url)

    assert late.status == 409 and "ACQ.TRADE_HAS_CLOSE" in late.text
    assert gateway.query_payment(reference=payment.reference).status == "failed"
    assert all("TRADE_SUCCESS" not in n["body"] for n in control.notifications())


def test_the_close_notification_marks_the_payment_failed(alipay_gateway):
    gateway, control = alipay_gateway
    payment = pending_payment()
    control.open(start(gateway, payment))
    gateway.close_payment(reference=payment.reference)

    handle(gateway, control.notifications()[-1]["body"].encode())

    payment.refresh_from_db()
    assert payment.status == payment.Status.FAILED


def test_closing_a_trade_alipay_never_saw_is_not_an_error(alipay_gateway):
    gateway, _ = alipay_gateway

    gateway.close_payment(reference=pending_payment().reference)


def test_closing_a_closed_trade_is_not_an_error(alipay_gateway):
    gateway, control = alipay_gateway
    payment = pending_payment()
    control.open(start(gateway, payment))
    gateway.close_payment(reference=payment.reference)

    gateway.close_payment(reference=payment.reference)


def test_closing_a_paid_trade_says_it_is_paid(alipay_gateway):
    gateway, control = alipay_gateway
    payment = pending_payment()
    pay(gateway, control, payment)

    with pytest.raises(GatewayError, match="already paid"):
        gateway.close_payment(reference=payment.reference)


def test_a_fully_refunded_trade_is_refunded(alipay_gateway):
    gateway, control = alipay_gateway
    payment = pending_payment("10.00")
    pay(gateway, control, payment)
    refund(gateway, payment, "rr-1", "10.00")

    assert gateway.query_payment(reference=payment.reference).status == "refunded"
