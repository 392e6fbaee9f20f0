"""Steps the Alipay tests share: a pending payment, the shopper paying, the shop's notify
endpoint handling what the emulator sent."""

from decimal import Decimal
from urllib.parse import parse_qsl, urlencode

from Cryptodome.PublicKey import RSA

from shop.emulators.alipay import signing
from shop.payments import services
from shop.payments.gateway import InvalidNotification, RefundResult
from shop.payments.gateways.alipay import AlipayGateway, NotificationAnswer, Payer
from shop.payments.models import Payment
from tests.alipay import EmulatorControl
from tests.factories import PaymentFactory

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36"
RETURN_URL = "http://shop.test/orders/paid/"
# Nothing listens here: the tests hand the emulator's notifications to the shop themselves.
NOTIFY_URL = "http://127.0.0.1:9/payments/notify/alipay/"


def pending_payment(amount: str = "88.80") -> Payment:
    return PaymentFactory(
        purpose=Payment.Purpose.ORDERS,
        amount=Decimal(amount),
        status=Payment.Status.PENDING,
        gateway="alipay",
        provider_reference=None,
        succeeded_at=None,
    )


def start(
    gateway: AlipayGateway,
    payment: Payment,
    user_agent: str = PHONE,
    notify_url: str = NOTIFY_URL,
) -> str:
    """Where the shop sends the shopper's browser to pay."""
    return gateway.start_payment(
        reference=payment.trade_no,
        amount=payment.amount,
        description="礼物: Mountain Coffee beans",
        return_url=RETURN_URL,
        notify_url=notify_url,
        payer=Payer(user_agent=user_agent),
    ).redirect_url


def pay(gateway: AlipayGateway, control: EmulatorControl, payment: Payment) -> bytes:
    """The shopper confirms on Alipay's page; the body of the notification Alipay sent."""
    page = control.act(start(gateway, payment), "confirm")
    assert page.status == 302 and page.location.startswith(RETURN_URL), page
    return last_notification(control)


def refund(gateway: AlipayGateway, payment: Payment, key: str, amount: str) -> RefundResult:
    return gateway.refund(
        payment_reference=payment.trade_no,
        idempotency_key=key,
        amount=Decimal(amount),
        notify_url="",
        payment_amount=payment.amount,
    )


def last_notification(control: EmulatorControl) -> bytes:
    return control.notifications()[-1]["body"].encode()


def handle(gateway: AlipayGateway, body: bytes) -> NotificationAnswer:
    """What the notify view does with a notification: verify, apply once, answer."""
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    try:
        notification = gateway.parse_notification(body=body, headers=headers)
    except InvalidNotification as error:
        return gateway.answer(str(error))
    services.notification_handle(notification=notification, gateway=gateway.name)
    return gateway.answer(None)


def edited(body: bytes, **changes: str) -> bytes:
    """The notification with fields changed in transit; its signature left as it was."""
    params = dict(parse_qsl(body.decode(), keep_blank_values=True))
    params.update(changes)
    return urlencode(params).encode()


def signed_by_alipay(control: EmulatorControl, body: bytes, **changes: str) -> bytes:
    """The notification with fields changed and signed again with the emulator's own key:
    what only Alipay could send."""
    key = RSA.import_key((control.keys_dir / "alipay_private.pem").read_text())
    params = dict(parse_qsl(edited(body, **changes).decode(), keep_blank_values=True))
    params["sign"] = signing.sign(signing.notification_content(params), key)
    return urlencode(params).encode()
