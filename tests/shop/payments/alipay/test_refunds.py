"""Refunds through alipay.trade.refund, keyed by out_request_no = our idempotency key.

Partial refunds add up to at most the payment; a retry after an unclear answer (a
timeout, ACQ.SYSTEM_ERROR) refunds once and learns the outcome from the refund query;
a refusal is final.
"""

from decimal import Decimal

import pytest

from shop.payments.gateway import GatewayError, GatewayTimeout, Notification

from .flows import handle, last_notification, pay, pending_payment, refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(alipay_gateway):
    """A ¥100.00 payment the shopper paid and the shop was told of."""
    gateway, control = alipay_gateway
    payment = pending_payment("100.00")
    handle(gateway, pay(gateway, control, payment))
    return payment


def test_a_refund_succeeds_at_once(alipay_gateway, paid):
    gateway, _ = alipay_gateway

    result = refund(gateway, paid, "rr-1", "30.00")

    assert (result.status, result.provider_reference) == ("succeeded", "rr-1")


def test_partial_refunds_add_up_to_the_payment(alipay_gateway, paid):
    gateway, control = alipay_gateway

    results = [refund(gateway, paid, "rr-1", "30.00"), refund(gateway, paid, "rr-2", "70.00")]

    assert [r.status for r in results] == ["succeeded", "succeeded"]
    trade = control.trades()[paid.reference]
    assert (trade["status"], trade["refunded"]) == ("TRADE_CLOSED", "100.00")


def test_a_refund_beyond_what_is_left_is_refused(alipay_gateway, paid):
    gateway, _ = alipay_gateway
    refund(gateway, paid, "rr-1", "60.00")

    with pytest.raises(GatewayError, match=r"ACQ\.REFUND_AMT_NOT_EQUAL_TOTAL"):
        refund(gateway, paid, "rr-2", "60.00")


def test_a_refund_retried_after_a_timeout_refunds_once(alipay_gateway, paid):
    gateway, control = alipay_gateway
    control.mode("timeout")
    with pytest.raises(GatewayTimeout):
        refund(gateway, paid, "rr-1", "30.00")

    result = refund(gateway, paid, "rr-1", "30.00")

    assert result.status == "succeeded"
    assert control.trades()[paid.reference]["refunded"] == "30.00"


def test_a_system_error_is_an_unknown_outcome(alipay_gateway, paid):
    gateway, control = alipay_gateway
    control.mode("system_error")

    with pytest.raises(GatewayTimeout, match=r"ACQ\.SYSTEM_ERROR"):
        refund(gateway, paid, "rr-1", "30.00")


def test_a_refund_the_provider_refuses_is_an_error(alipay_gateway, paid):
    gateway, control = alipay_gateway
    control.mode("refund_refused")

    with pytest.raises(GatewayError, match=r"ACQ\.SELLER_BALANCE_NOT_ENOUGH") as raised:
        refund(gateway, paid, "rr-1", "30.00")

    assert not isinstance(raised.value, GatewayTimeout)
    assert control.trades()[paid.reference]["refunded"] == "0.00"


def test_the_same_key_for_another_amount_is_refused(alipay_gateway, paid):
    gateway, _ = alipay_gateway
    refund(gateway, paid, "rr-1", "30.00")

    with pytest.raises(GatewayError, match=r"ACQ\.DISCORDANT_REPEAT_REQUEST"):
        refund(gateway, paid, "rr-1", "40.00")


def test_refunding_an_unpaid_payment_is_refused(alipay_gateway):
    gateway, _ = alipay_gateway

    with pytest.raises(GatewayError, match=r"ACQ\.TRADE_NOT_EXIST"):
        refund(gateway, pending_payment(), "rr-1", "1.00")


def test_the_refund_query_finds_a_made_refund(alipay_gateway, paid):
    gateway, _ = alipay_gateway
    refund(gateway, paid, "rr-1", "30.00")

    record = gateway.query_refund(idempotency_key="rr-1", payment_reference=paid.reference)

    assert (record.kind, record.reference, record.amount, record.status) == (
        "refund",
        "rr-1",
        Decimal("30.00"),
        "succeeded",
    )


def test_the_refund_query_knows_no_refund_that_was_never_made(alipay_gateway, paid):
    gateway, _ = alipay_gateway

    assert gateway.query_refund(idempotency_key="rr-9", payment_reference=paid.reference) is None


def test_the_refund_query_needs_the_payment_reference(alipay_gateway):
    gateway, _ = alipay_gateway

    with pytest.raises(GatewayError, match="needs the payment's reference"):
        gateway.query_refund(idempotency_key="rr-1")


def test_a_refund_notification_names_the_refund_by_its_key(alipay_gateway, paid):
    gateway, control = alipay_gateway
    refund(gateway, paid, "rr-1", "30.00")

    notification = gateway.parse_notification(body=last_notification(control), headers={})

    assert (notification.event_type, notification.reference) == (
        Notification.REFUND_SUCCEEDED,
        "rr-1",
    )
