"""The payment gateway interface: what the shop needs from any payment provider.

Orders and gifts never talk to a provider directly; they call `payments.services`,
which talks to the configured gateway through this interface. A provider adapter
(WeChat Pay, Stripe, the built-in sandbox) implements `PaymentGateway`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class GatewayError(Exception):
    """The provider refused the request; retrying the same request will not help."""


class GatewayTimeout(GatewayError):
    """No answer: the outcome is unknown. Retry with the same idempotency key."""


class InvalidNotification(Exception):
    """A notification whose signature, timestamp or body does not verify."""


class UnknownGateway(LookupError):
    """A gateway name that is not configured (a notification to /notify/<name>/, say)."""


@dataclass(frozen=True)
class Payer:
    """What the pay step knows of the shopper's browser, for the provider to choose a flow."""

    channel: str = ""  # "" = the adapter's default for this browser; see the channel names
    client_ip: str = ""  # from shop.core.client.client_address (trusted proxies only)
    openid: str = ""  # WeChat JSAPI only (from the snsapi_base OAuth step)
    user_agent: str = ""


# Channel names used by adapters.
NATIVE, H5, JSAPI = "native", "h5", "jsapi"  # WeChat Pay
PAGE, WAP = "page", "wap"  # Alipay (alipay.trade.page.pay / wap.pay)
REDIRECT = "redirect"  # sandbox


@dataclass(frozen=True)
class PaymentStart:
    provider_reference: str
    redirect_url: str = ""  # send the browser here (H5, Alipay, sandbox)
    qr_code: str = ""  # Native: our page renders this text as a QR code
    jsapi_params: dict = field(default_factory=dict)  # JSAPI: for getBrandWCPayRequest


@dataclass(frozen=True)
class NotificationAnswer:
    """The reply the provider documents for a notification it sent."""

    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True)
class Notification:
    """A verified message from the provider. `reference` is ours: a payment reference for
    payment events, a refund idempotency key for refund events."""

    event_id: str
    event_type: str
    reference: str
    provider_reference: str
    amount: Decimal
    payload: dict = field(default_factory=dict)

    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_FAILED = "payment.failed"
    REFUND_SUCCEEDED = "refund.succeeded"
    REFUND_FAILED = "refund.failed"


@dataclass(frozen=True)
class RefundResult:
    status: str  # "pending", "succeeded" or "failed", as the provider reports it
    provider_reference: str
    failure_reason: str = ""


@dataclass(frozen=True)
class RefundRequest:
    payment_reference: str
    idempotency_key: str
    amount: Decimal
    payment_amount: Decimal  # the original total (WeChat Pay needs it with every refund)


@dataclass(frozen=True)
class ProviderRecord:
    """A payment or refund as the provider's books have it (for reconciliation)."""

    kind: str  # "payment" or "refund"
    reference: str
    provider_reference: str
    amount: Decimal
    status: str


class PaymentGateway(Protocol):
    name: str

    def channels(self, payer: Payer) -> list[str]:
        """The flows this browser can use, best first."""

    def start_payment(
        self,
        *,
        reference: str,
        amount: Decimal,
        description: str,
        return_url: str,
        notify_url: str,
        payer: Payer,
    ) -> PaymentStart:
        """Open a payment (the same reference opens it once) in the payer's channel."""

    def parse_notification(self, *, body: bytes, headers: Mapping[str, str]) -> Notification:
        """Verify and decode an asynchronous notification, or raise InvalidNotification."""

    def answer(self, error: str | None) -> NotificationAnswer:
        """The documented reply to a notification; `error` None means it was accepted."""

    def refund(
        self,
        *,
        payment_reference: str,
        idempotency_key: str,
        amount: Decimal,
        notify_url: str,
        payment_amount: Decimal,
    ) -> RefundResult:
        """Refund (part of) a payment. The same key never refunds twice."""

    def query_payment(self, *, reference: str) -> ProviderRecord | None: ...

    def query_refund(
        self, *, idempotency_key: str, payment_reference: str = ""
    ) -> ProviderRecord | None: ...

    def close_payment(self, *, reference: str) -> None:
        """Close an unpaid payment so it can no longer be paid. A paid one raises
        GatewayError; an unknown one is not an error."""

    def records(self, day: date | None = None) -> Iterable[ProviderRecord]:
        """The provider's payments and refunds: that day's bill, or (None) all it holds."""


def refund_many(
    gateway: PaymentGateway, requests: list[RefundRequest], notify_url: str
) -> list[RefundResult | GatewayError]:
    """The gateway's batch refund if it has one, else one call per refund.

    An adapter may offer `refund_many(requests=…, notify_url=…)`: several refunds in one
    round trip, one answer (a RefundResult or a GatewayError) each, in order; it raises
    GatewayTimeout when the whole call's outcome is unknown. Without it, a timeout on
    one call is that refund's answer and the others go ahead.
    """
    if hasattr(gateway, "refund_many"):
        return gateway.refund_many(requests=requests, notify_url=notify_url)
    answers: list[RefundResult | GatewayError] = []
    for request in requests:
        try:
            answers.append(
                gateway.refund(
                    payment_reference=request.payment_reference,
                    idempotency_key=request.idempotency_key,
                    amount=request.amount,
                    notify_url=notify_url,
                    payment_amount=request.payment_amount,
                )
            )
        except GatewayError as error:
            answers.append(error)
    return answers


def _adapters() -> dict[str, str]:
    """Every gateway by name: the provider adapters (`PAYMENT_ADAPTERS`) and the in-house
    ones such as partners' prepaid balance (`PAYMENT_GATEWAYS`)."""
    return {**settings.PAYMENT_ADAPTERS, **settings.PAYMENT_GATEWAYS}


def get_gateway(name: str | None = None) -> PaymentGateway:
    """The shop's default hosted-payment gateway (`PAYMENT_GATEWAY`), or one by name: the
    one a payment was made with, one the shopper chose, one a notification came to.

    `PAYMENT_GATEWAY` is a name in `PAYMENT_ADAPTERS` or a dotted path to an adapter class.
    """
    adapters = _adapters()
    default = import_string(adapters.get(settings.PAYMENT_GATEWAY, settings.PAYMENT_GATEWAY))
    if name is None or name == default.name:
        return default()
    if name not in adapters:
        raise UnknownGateway(name)
    return import_string(adapters[name])()


def offered_gateways() -> list[str]:
    """The gateway names the pay step offers, the default first (`PAYMENT_METHODS`)."""
    names = [get_gateway().name]
    for name in settings.PAYMENT_METHODS:
        if name not in names:
            names.append(name)
    return names
