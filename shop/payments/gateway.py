"""The payment gateway interface: what the shop needs from any payment provider.

Orders and gifts never talk to a provider directly; they call `payments.services`,
which talks to the configured gateway through this interface. A provider adapter
(WeChat Pay, Stripe, the built-in sandbox) implements `PaymentGateway`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class PaymentStart:
    redirect_url: str
    provider_reference: str


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

    def start_payment(
        self, *, reference: str, amount: Decimal, description: str, return_url: str, notify_url: str
    ) -> PaymentStart:
        """Open a payment; the shopper is sent to `redirect_url` to confirm it."""

    def parse_notification(self, *, body: bytes, headers: Mapping[str, str]) -> Notification:
        """Verify and decode an asynchronous notification, or raise InvalidNotification."""

    def refund(
        self,
        *,
        payment_reference: str,
        idempotency_key: str,
        amount: Decimal,
        notify_url: str,
    ) -> RefundResult:
        """Refund (part of) a payment. The same key never refunds twice."""

    def query_payment(self, *, reference: str) -> ProviderRecord | None: ...

    def query_refund(self, *, idempotency_key: str) -> ProviderRecord | None: ...

    def records(self) -> Iterable[ProviderRecord]:
        """Every payment and refund the provider holds for this shop."""


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
                )
            )
        except GatewayError as error:
            answers.append(error)
    return answers


def get_gateway(name: str | None = None) -> PaymentGateway:
    """The shop's hosted-payment gateway, or the one a payment was made with (`name`).

    Besides the configured provider (`PAYMENT_GATEWAY`), `PAYMENT_GATEWAYS` names the
    in-house ones, such as partners' prepaid balance.
    """
    default = import_string(settings.PAYMENT_GATEWAY)
    if name is None or name == default.name:
        return default()
    return import_string(settings.PAYMENT_GATEWAYS[name])()
