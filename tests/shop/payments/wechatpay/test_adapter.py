"""The WeChat Pay adapter against the emulator, over HTTP, through `wechatpayv3`: the
parts the gateway contract does not cover (channels, signatures both ways, keys, refund
outcomes, the pay page)."""

import base64
import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from shop.emulators.wechatpay.keys import load_or_create
from shop.orders import services as orders
from shop.orders.models import Order
from shop.payments import services as payments
from shop.payments.gateway import H5, JSAPI, NATIVE, GatewayError, InvalidNotification, Payer
from shop.payments.gateways import wechatpay
from shop.payments.models import Payment, Refund
from tests.orders import place_order
from tests.wechatpay import gateway

from ..contract.drivers import post

pytestmark = pytest.mark.django_db

DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148"
IN_WECHAT = f"{PHONE} MicroMessenger/8.0.50"


def _start(reference: str = "P1", channel: str = NATIVE, **payer: str):
    return gateway().start_payment(
        reference=reference,
        amount=Decimal("12.34"),
        description="Tea",
        return_url="http://testserver/back/",
        notify_url="http://testserver/payments/notify/wechatpay/",
        payer=Payer(channel=channel, **payer),
    )


@pytest.mark.parametrize(
    ("agent", "channels"),
    [(DESKTOP, [NATIVE]), (PHONE, [H5, NATIVE]), (IN_WECHAT, [JSAPI, NATIVE])],
)
def test_the_browser_decides_the_flows_offered(agent: str, channels: list[str]) -> None:
    assert wechatpay.WeChatPayGateway().channels(Payer(user_agent=agent)) == channels


def test_the_emulator_refuses_a_request_not_signed_with_the_merchant_key(
    wechatpay_settings,
) -> None:
    header = (
        'WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="N",signature="c2ln",'
        f'timestamp="{int(time.time())}",serial_no="{load_or_create(wechatpay_settings.key_dir).merchant_serial}"'
    )
    response = requests.get(
        f"{wechatpay_settings.url}/v3/pay/transactions/out-trade-no/P1?mchid=1900000109",
        headers={"Authorization": header},
        timeout=5,
    )

    assert (response.status_code, response.json()["code"]) == (401, "SIGN_ERROR")


def test_an_answer_signed_with_an_unknown_key_is_refused(wechatpay_settings, settings) -> None:
    settings.WECHATPAY_PUBLIC_KEY_ID = "PUB_KEY_ID_SOMEONE_ELSE"
    settings.WECHATPAY_PLATFORM_CERT_PATH = ""

    with pytest.raises(GatewayError, match="refused"):
        _start()


def test_a_native_payment_is_a_code_url_and_h5_sends_the_payer_back(wechatpay_settings) -> None:
    native = _start("P1", NATIVE)
    h5 = _start("P2", H5, client_ip="203.0.113.7")

    assert native.qr_code.startswith("weixin://wxpay/bizpayurl?pr=")
    assert h5.redirect_url.startswith(f"{wechatpay_settings.url}/_emulator/h5?prepay_id=")
    assert h5.redirect_url.endswith("&redirect_url=http%3A%2F%2Ftestserver%2Fback%2F")


def test_jsapi_parameters_are_signed_with_the_merchant_key(wechatpay_settings) -> None:
    started = _start("P1", JSAPI, openid="o-payer")

    params = started.jsapi_params
    message = "\n".join(
        [params["appId"], params["timeStamp"], params["nonceStr"], params["package"]]
    )
    merchant = load_or_create(wechatpay_settings.key_dir).merchant_cert.public_key()
    merchant.verify(
        base64.b64decode(params["paySign"]),
        f"{message}\n".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    assert params["package"] == f"prepay_id={started.provider_reference}"


def test_a_jsapi_payment_without_an_openid_is_refused(wechatpay_settings) -> None:
    with pytest.raises(GatewayError, match="openid"):
        _start("P1", JSAPI)


@pytest.mark.parametrize("identity", ["public_key", "certificate"])
def test_notifications_verify_with_the_platform_public_key_or_certificate(
    wechatpay_settings, identity: str
) -> None:
    wechatpay_settings.mode(sign_with=identity)
    _start("P1")
    wechatpay_settings.pay("P1")
    (sent,) = wechatpay_settings.notifications()

    notification = gateway().parse_notification(body=sent["body"].encode(), headers=sent["headers"])

    assert (notification.reference, notification.amount) == ("P1", Decimal("12.34"))
    assert "payer" not in notification.payload["resource"]  # the openid is not kept


def test_only_the_certificate_configured_still_verifies(wechatpay_settings, settings) -> None:
    settings.WECHATPAY_PUBLIC_KEY_PATH = settings.WECHATPAY_PUBLIC_KEY_ID = ""
    wechatpay_settings.mode(sign_with="certificate")
    _start("P1")
    wechatpay_settings.pay("P1")
    (sent,) = wechatpay_settings.notifications()

    assert gateway().parse_notification(body=sent["body"].encode(), headers=sent["headers"])


def test_a_notification_from_an_unknown_serial_is_refused(wechatpay_settings) -> None:
    _start("P1")
    wechatpay_settings.pay("P1")
    (sent,) = wechatpay_settings.notifications()

    with pytest.raises(InvalidNotification, match="Unknown Wechatpay-Serial"):
        gateway().parse_notification(
            body=sent["body"].encode(), headers={**sent["headers"], "Wechatpay-Serial": "ABC"}
        )


def test_a_resource_encrypted_with_another_apiv3_key_is_refused(
    wechatpay_settings, settings
) -> None:
    _start("P1")
    wechatpay_settings.pay("P1")
    (sent,) = wechatpay_settings.notifications()
    settings.WECHATPAY_APIV3_KEY = "another-32-byte-apiv3-key-000000"

    with pytest.raises(InvalidNotification, match="does not decrypt"):
        gateway().parse_notification(body=sent["body"].encode(), headers=sent["headers"])


def test_the_answers_are_the_documented_ones() -> None:
    accepted, refused = (
        wechatpay.WeChatPayGateway().answer(None),
        wechatpay.WeChatPayGateway().answer("Bad"),
    )

    assert (accepted.status, accepted.body) == (204, b"")
    assert refused.status == 400
    assert json.loads(refused.body) == {"code": "FAIL", "message": "Bad"}


def _paid_payment(client: Client, emulator) -> tuple[Payment, object]:
    payment, order = place_order(price="50.00")
    emulator.pay(payment.reference)
    (sent,) = emulator.notifications()
    assert post(client, "wechatpay", (sent["body"].encode(), sent["headers"])).status_code == 204
    payment.refresh_from_db()
    return payment, order


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        ("SUCCESS", Refund.Status.SUCCEEDED),
        ("ABNORMAL", Refund.Status.FAILED),
        ("CLOSED", Refund.Status.FAILED),
    ],
)
def test_a_processing_refund_is_settled_by_its_notification(
    client: Client, wechatpay_settings, settings, outcome: str, status: str
) -> None:
    settings.PAYMENT_GATEWAY = "wechatpay"
    payment, order = _paid_payment(client, wechatpay_settings)
    wechatpay_settings.mode(refund_status="PROCESSING")
    refund = payments.refund_create(
        payment=payment,
        amount=Decimal("20.00"),
        subject=f"order:{order.pk}",
        subject_limit=order.total,
        idempotency_key="r-1",
    )
    payments.refunds_execute(refund_ids=[refund.pk])
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING

    wechatpay_settings.control("refunds/r-1/settle", {"status": outcome})
    sent = wechatpay_settings.notifications()[-1]
    response = post(client, "wechatpay", (sent["body"].encode(), sent["headers"]))

    refund.refresh_from_db()
    assert (response.status_code, refund.status) == (204, status)


def test_a_pending_refund_is_queried_not_asked_for_again(
    client: Client, wechatpay_settings, settings
) -> None:
    settings.PAYMENT_GATEWAY = "wechatpay"
    payment, order = _paid_payment(client, wechatpay_settings)
    wechatpay_settings.mode(refund_status="PROCESSING")
    refund = payments.refund_create(
        payment=payment, amount=Decimal("50.00"), subject=f"order:{order.pk}", idempotency_key="r-1"
    )
    payments.refunds_execute(refund_ids=[refund.pk])
    wechatpay_settings.control("refunds/r-1/settle", {"status": "SUCCESS"})

    payments.refunds_execute(refund_ids=[refund.pk])  # the stuck-refund sweep's second try

    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert gateway().query_refund(idempotency_key="r-1").amount == Decimal("50.00")


def test_the_pay_page_shows_a_qr_code_on_a_desktop(
    client: Client, wechatpay_settings, settings
) -> None:
    settings.PAYMENT_GATEWAY = "wechatpay"
    payment, _ = place_order()
    client.force_login(payment.user)

    response = client.get(f"/payments/pay/{payment.reference}/", HTTP_USER_AGENT=DESKTOP)

    assert response.status_code == 200
    assert b"<svg" in response.content
    assert b'data-code-url="weixin://wxpay/bizpayurl?pr=' in response.content


def test_the_pay_page_sends_a_phone_to_wechats_h5_page(
    client: Client, wechatpay_settings, settings
) -> None:
    settings.PAYMENT_GATEWAY = "wechatpay"
    payment, _ = place_order()
    client.force_login(payment.user)

    response = client.get(f"/payments/pay/{payment.reference}/", HTTP_USER_AGENT=PHONE)

    assert response.status_code == 302
    assert response["Location"].startswith(f"{wechatpay_settings.url}/_emulator/h5?")


def test_inside_wechat_the_openid_comes_from_oauth_then_jsapi(
    client: Client, wechatpay_settings, settings
) -> None:
    settings.PAYMENT_GATEWAY = "wechatpay"
    payment, _ = place_order()
    client.force_login(payment.user)
    page = f"/payments/pay/{payment.reference}/"

    authorize = client.get(page, HTTP_USER_AGENT=IN_WECHAT)
    assert authorize["Location"].startswith(f"{wechatpay_settings.url}/connect/oauth2/authorize?")
    back = requests.get(authorize["Location"], allow_redirects=False, timeout=5).headers["Location"]
    jsapi = client.get(back.removeprefix("http://testserver"), HTTP_USER_AGENT=IN_WECHAT)
    response = client.get(jsapi["Location"], HTTP_USER_AGENT=IN_WECHAT)

    assert response.status_code == 200
    assert b'id="jsapi-params"' in response.content
    assert client.session["wechat_openid"].startswith("o")


def test_a_provider_that_cannot_close_never_blocks_the_cancel(
    wechatpay_settings, settings, caplog, django_capture_on_commit_callbacks
) -> None:
    settings.PAYMENT_GATEWAY = "wechatpay"
    payment, order = place_order()
    settings.WECHATPAY_API_BASE = "http://127.0.0.1:9"  # nothing listens there

    with django_capture_on_commit_callbacks(execute=True):
        orders.order_cancel(order=order)

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert f"Could not close payment {payment.reference} at wechatpay" in caplog.text


def test_notifications_to_a_gateway_not_offered_are_not_found(client: Client) -> None:
    assert (
        client.post(
            "/payments/notify/wechatpay/", data=b"{}", content_type="application/json"
        ).status_code
        == 404
    )


def test_reconcile_without_a_date_compares_yesterdays_wechat_pay_bill(
    wechatpay_settings, settings, capsys
) -> None:
    settings.PAYMENT_GATEWAY = "wechatpay"

    call_command("reconcile", "--provider", "wechatpay")

    yesterday = timezone.localdate() - timedelta(days=1)
    assert f"wechatpay: comparing the bill of {yesterday}." in capsys.readouterr().out
