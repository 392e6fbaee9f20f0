"""Each provider's part in the contract suite, played through its emulator (or, for the
sandbox, its in-process books): what the payer does, what the provider sends, and how
it is made to misbehave. One class per adapter; `DRIVERS` names them for the suite.

To add an adapter: write its Driver (the same methods) and add it to DRIVERS.
"""

import json
import time
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db.models import F
from django.test import Client

from shop.core import signing
from shop.payments.gateway import Payer
from shop.payments.models import Payment
from shop.sandbox import provider
from shop.sandbox.models import SandboxCharge, SandboxMode, SandboxNotification
from tests.alipay import APP_ID
from tests.shop.payments.alipay.flows import PHONE, edited, signed_by_alipay
from tests.wechatpay import Emulator

# What the provider sent: the raw body and the headers, as they reach the notify view.
Sent = tuple[bytes, dict[str, str]]
STALE_SECONDS = 600
# Nothing listens here: the suite hands the emulator's notifications to the shop itself.
ALIPAY_NOTIFY_URL = "http://127.0.0.1:9/payments/notify/alipay/"


def post(client: Client, name: str, sent: Sent):
    body, headers = sent
    headers = dict(headers)
    content_type = headers.pop("Content-Type", "application/json")
    meta = {f"HTTP_{key.upper().replace('-', '_')}": value for key, value in headers.items()}
    return client.post(f"/payments/notify/{name}/", data=body, content_type=content_type, **meta)


class SandboxDriver:
    name = "sandbox"
    signs_timestamps = True

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self.delivered: set[str] = set()

    def open(self, payment: Payment) -> None:
        """The charge exists from the start."""

    def confirm(self, payment: Payment, approve: bool = True) -> None:
        charge = SandboxCharge.objects.get(merchant_reference=payment.trade_no)
        provider.charge_complete(charge_id=charge.pk, approve=approve)

    def sent(self) -> list[Sent]:
        """Notifications sent since the last call, oldest first."""
        new = SandboxNotification.objects.exclude(pk__in=self.delivered).order_by("created_at")
        out = []
        for notification in new:
            self.delivered.add(notification.pk)
            body = notification.body.encode()
            header = signing.sign(body, settings.SANDBOX_SECRET)
            out.append((body, {"X-Sandbox-Signature": header}))
        return out

    def crafted(self, reference: str, amount: Decimal, *, timestamp: int | None = None) -> Sent:
        body = json.dumps(
            {
                "id": f"evt_crafted_{reference}_{amount}_{timestamp}",
                "type": "payment.succeeded",
                "data": {
                    "reference": reference,
                    "provider_reference": "ch_x",
                    "amount": str(amount),
                },
            }
        ).encode()
        return body, {"X-Sandbox-Signature": signing.sign(body, settings.SANDBOX_SECRET, timestamp)}

    def forge(self, sent: Sent) -> Sent:
        body, _ = sent
        return body, {"X-Sandbox-Signature": signing.sign(body, "not-the-secret")}

    def time_out(self, on: bool) -> None:
        SandboxMode.objects.update_or_create(pk=1, defaults={"timeout_requests": on})

    def refuse_refunds(self) -> None:
        SandboxMode.objects.update_or_create(pk=1, defaults={"fail_refunds": True})

    def disagree(self, payment: Payment) -> None:
        """The provider's books have the payment 0.01 more than was paid."""
        SandboxCharge.objects.filter(merchant_reference=payment.trade_no).update(
            amount=F("amount") + Decimal("0.01")
        )


class WeChatPayDriver:
    name = "wechatpay"
    signs_timestamps = True

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self.emulator: Emulator = request.getfixturevalue("wechatpay_settings")
        self.seen = 0

    def open(self, payment: Payment) -> None:
        """The prepay order exists from the start."""

    def confirm(self, payment: Payment, approve: bool = True) -> None:
        self.emulator.pay(payment.trade_no, approve)

    def sent(self) -> list[Sent]:
        notifications = self.emulator.notifications()
        new, self.seen = notifications[self.seen :], len(notifications)
        return [(n["body"].encode(), n["headers"]) for n in new]

    def crafted(self, reference: str, amount: Decimal, *, timestamp: int | None = None) -> Sent:
        answer = self.emulator.control(
            "notifications/craft",
            {"out_trade_no": reference, "total": int(amount * 100), "timestamp": timestamp},
        )
        return answer["body"].encode(), answer["headers"]

    def forge(self, sent: Sent) -> Sent:
        body, headers = sent
        return body.replace(b'"summary"', b'"summary" ', 1), headers

    def time_out(self, on: bool) -> None:
        # Past the adapter's timeout (WECHATPAY_TIMEOUT_SECONDS=1 in the tests).
        self.emulator.mode(timeout_seconds=1.5 if on else 0)

    def refuse_refunds(self) -> None:
        self.emulator.mode(refund_refused=True)

    def disagree(self, payment: Payment) -> None:
        self.emulator.mode(bill_mismatch=True)


class AlipayDriver:
    """Alipay's trade exists once the payer opens the cashier; its notifications are
    form-encoded, signed with Alipay's key, and carry no timestamp the shop could refuse
    as stale (Alipay retries for 25 hours)."""

    name = "alipay"
    signs_timestamps = False
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self.gateway, self.emulator = request.getfixturevalue("alipay_gateway")
        self.seen = 0

    def _cashier(self, payment: Payment) -> str:
        return self.gateway.start_payment(
            reference=payment.trade_no,
            amount=payment.amount,
            description=payment.description,
            return_url="http://testserver/back/",
            notify_url=ALIPAY_NOTIFY_URL,
            payer=Payer(user_agent=PHONE),
        ).redirect_url

    def open(self, payment: Payment) -> None:
        page = self.emulator.open(self._cashier(payment))
        assert page.status == 200, page

    def confirm(self, payment: Payment, approve: bool = True) -> None:
        cashier = self._cashier(payment)
        if "<form" not in self.emulator.open(cashier).text:
            return  # the trade is closed or paid: the payer cannot pay
        self.emulator.act(cashier, "confirm" if approve else "decline")

    def sent(self) -> list[Sent]:
        notifications = self.emulator.notifications()
        new, self.seen = notifications[self.seen :], len(notifications)
        return [(n["body"].encode(), self.form) for n in new]

    def crafted(self, reference: str, amount: Decimal, *, timestamp: int | None = None) -> Sent:
        params = {
            "notify_time": "2026-12-01 10:00:00",
            "notify_type": "trade_status_sync",
            "notify_id": f"crafted{reference}{amount}",
            "charset": "utf-8",
            "version": "1.0",
            "sign_type": "RSA2",
            "app_id": APP_ID,
            "trade_no": "2026120122001000000000000001",
            "out_trade_no": reference,
            "trade_status": "TRADE_SUCCESS",
            "total_amount": f"{amount:.2f}",
            "gmt_payment": "2026-12-01 10:00:00",
        }
        body = signed_by_alipay(self.emulator, urlencode(params).encode())
        return body, self.form

    def forge(self, sent: Sent) -> Sent:
        body, headers = sent
        return edited(body, buyer_logon_id="forger@example.com"), headers

    def time_out(self, on: bool) -> None:
        # Past the adapter's timeout (CLIENT_TIMEOUT in tests/alipay.py).
        self.emulator.mode("timeout", times=1 if on else 0)

    def refuse_refunds(self) -> None:
        self.emulator.mode("refund_refused")

    def disagree(self, payment: Payment) -> None:
        self.emulator.mode("bill_mismatch", times=100)  # every download of the day's bill


DRIVERS = {"sandbox": SandboxDriver, "wechatpay": WeChatPayDriver, "alipay": AlipayDriver}


def stale() -> int:
    return int(time.time()) - STALE_SECONDS
