"""Paying with Alipay: the redirect to wap.pay / page.pay, and the async notification.

Only a notification that verifies with Alipay's public key, for our app, for the amount
due, marks a payment paid, and only once; everything else is answered `fail` (so Alipay
resends it) and changes nothing.
"""

import json
import logging
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from Cryptodome.PublicKey import RSA

from shop.emulators.alipay import signing
from shop.payments.gateway import InvalidNotification, Notification
from shop.payments.gateways.alipay import BEIJING, PAGE, WAP, Payer
from shop.payments.models import Payment, PaymentNotification

from .flows import (
    DESKTOP,
    PHONE,
    edited,
    handle,
    last_notification,
    pay,
    pending_payment,
    signed_by_alipay,
    start,
)

pytestmark = pytest.mark.django_db


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def test_phones_are_offered_wap_pay_first(alipay_gateway):
    gateway, _ = alipay_gateway

    assert gateway.channels(Payer(user_agent=PHONE)) == [WAP, PAGE]


def test_desktops_are_offered_page_pay_first(alipay_gateway):
    gateway, _ = alipay_gateway

    assert gateway.channels(Payer(user_agent=DESKTOP)) == [PAGE, WAP]


def test_a_phone_is_sent_to_wap_pay_with_its_product_code(alipay_gateway):
    gateway, _ = alipay_gateway

    query = _query(start(gateway, pending_payment(), PHONE))

    assert query["method"] == "alipay.trade.wap.pay"
    assert json.loads(query["biz_content"])["product_code"] == "QUICK_WAP_WAY"


def test_a_desktop_is_sent_to_page_pay_with_its_product_code(alipay_gateway):
    gateway, _ = alipay_gateway

    query = _query(start(gateway, pending_payment(), DESKTOP))

    assert query["method"] == "alipay.trade.page.pay"
    assert json.loads(query["biz_content"])["product_code"] == "FAST_INSTANT_TRADE_PAY"


def test_the_amount_goes_to_alipay_as_exact_yuan(alipay_gateway):
    gateway, _ = alipay_gateway

    query = _query(start(gateway, pending_payment("1234.50")))

    assert json.loads(query["biz_content"])["total_amount"] == "1234.50"


def test_paying_then_the_notification_marks_the_payment_paid(alipay_gateway):
    gateway, control = alipay_gateway
    payment = pending_payment()

    answer = handle(gateway, pay(gateway, control, payment))

    payment.refresh_from_db()
    assert (answer.status, answer.body) == (200, b"success")
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.provider_reference == control.trades()[payment.reference]["trade_no"]


def test_the_payment_stays_pending_until_the_notification(alipay_gateway):
    gateway, control = alipay_gateway
    payment = pending_payment()

    pay(gateway, control, payment)  # the shopper is back on our return URL

    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


def test_a_duplicate_notification_is_applied_once(alipay_gateway):
    gateway, control = alipay_gateway
    payment = pending_payment()
    control.mode("duplicate_notification")
    pay(gateway, control, payment)
    first, second = (n["body"].encode() for n in control.notifications())

    answers = [handle(gateway, first), handle(gateway, second)]

    assert [a.body for a in answers] == [b"success", b"success"]
    assert PaymentNotification.objects.filter(gateway="alipay").count() == 1


def test_a_notification_signed_with_another_key_is_refused(alipay_gateway):
    gateway, control = alipay_gateway
    payment = pending_payment()
    body = pay(gateway, control, payment)
    params = dict(parse_qsl(body.decode()))
    forger = RSA.import_key((control.keys_dir / "app_private.pem").read_text())
    forged = edited(body, sign=signing.sign(signing.notification_content(params), forger))

    answer = handle(gateway, forged)

    payment.refresh_from_db()
    assert (answer.status, answer.body) == (400, b"fail")
    assert payment.status == Payment.Status.PENDING


def test_a_notification_whose_amount_was_changed_in_transit_is_refused(alipay_gateway):
    gateway, control = alipay_gateway
    body = pay(gateway, control, pending_payment("88.80"))

    with pytest.raises(InvalidNotification, match="signature"):
        gateway.parse_notification(body=edited(body, total_amount="0.01"), headers={})


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"total_amount": "0.01"}, Payment.Status.PENDING),
        # Products without refunds go straight to TRADE_FINISHED, with no TRADE_SUCCESS.
        ({"trade_status": "TRADE_FINISHED"}, Payment.Status.SUCCEEDED),
    ],
    ids=["less-than-due-is-not-paid", "trade-finished-is-paid"],
)
def test_what_a_signed_notification_says_decides_the_payment(alipay_gateway, changes, status):
    gateway, control = alipay_gateway
    payment = pending_payment("88.80")
    body = signed_by_alipay(control, pay(gateway, control, payment), **changes)

    handle(gateway, body)

    payment.refresh_from_db()
    assert payment.status == status


def test_a_notification_for_another_app_is_refused(alipay_gateway):
    gateway, control = alipay_gateway
    body = signed_by_alipay(control, pay(gateway, control, pending_payment()), app_id="2021999")

    with pytest.raises(InvalidNotification, match="another Alipay app"):
        gateway.parse_notification(body=body, headers={})


def test_a_notification_for_an_unknown_out_trade_no_changes_nothing(alipay_gateway, caplog):
    gateway, control = alipay_gateway
    payment = pending_payment()
    body = signed_by_alipay(control, pay(gateway, control, payment), out_trade_no="PNOSUCH")

    with caplog.at_level(logging.ERROR):
        answer = handle(gateway, body)

    payment.refresh_from_db()
    assert answer.body == b"success"  # verified and recorded: Alipay need not resend it
    assert payment.status == Payment.Status.PENDING
    assert "unknown reference PNOSUCH" in caplog.text


@pytest.mark.parametrize(
    "body",
    [b"", b"\xff\xfe", b"sign=abc&sign_type=RSA2", b"a=1&a=2", b"not a form"],
    ids=["empty", "not-utf8", "unsigned-fields", "repeated-field", "not-a-form"],
)
def test_a_malformed_notification_is_refused(alipay_gateway, body):
    gateway, _ = alipay_gateway

    with pytest.raises(InvalidNotification):
        gateway.parse_notification(body=body, headers={})


def test_a_declined_payment_is_marked_failed(alipay_gateway):
    gateway, control = alipay_gateway
    payment = pending_payment()
    page = control.act(start(gateway, payment), "decline")

    notification = gateway.parse_notification(body=last_notification(control), headers={})
    handle(gateway, last_notification(control))

    payment.refresh_from_db()
    assert page.status == 302
    assert notification.event_type == Notification.PAYMENT_FAILED
    assert payment.status == Payment.Status.FAILED


def test_the_stored_notification_keeps_no_payer_details(alipay_gateway):
    gateway, control = alipay_gateway

    handle(gateway, pay(gateway, control, pending_payment()))

    payload = PaymentNotification.objects.get(gateway="alipay").payload
    assert payload["trade_status"] == "TRADE_SUCCESS"
    assert not {"buyer_id", "buyer_logon_id", "sign"} & payload.keys()


def test_the_decline_mode_turns_the_next_confirm_into_a_decline(alipay_gateway):
    gateway, control = alipay_gateway
    payment = pending_payment()
    control.mode("decline")

    control.act(start(gateway, payment), "confirm")

    assert control.trades()[payment.reference]["status"] == "TRADE_CLOSED"


def test_trade_finished_after_trade_success_changes_nothing(alipay_gateway):
    gateway, control = alipay_gateway
    payment = pending_payment()
    success = pay(gateway, control, payment)
    handle(gateway, success)
    payment.refresh_from_db()
    paid_at = payment.succeeded_at

    answer = handle(gateway, signed_by_alipay(control, success, trade_status="TRADE_FINISHED"))

    payment.refresh_from_db()
    assert answer.body == b"success"
    assert (payment.status, payment.succeeded_at) == (Payment.Status.SUCCEEDED, paid_at)


def test_requests_carry_beijing_time(alipay_gateway):
    gateway, _ = alipay_gateway

    sent = datetime.strptime(
        _query(start(gateway, pending_payment()))["timestamp"], "%Y-%m-%d %H:%M:%S"
    )

    assert abs(sent.replace(tzinfo=BEIJING) - datetime.now(BEIJING)) < timedelta(minutes=1)
