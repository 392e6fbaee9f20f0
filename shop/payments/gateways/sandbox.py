"""The shop's adapter for the built-in sandbox provider, implementing `PaymentGateway`."""

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.urls import reverse

from shop.core import signing
from shop.payments.gateway import (
    REDIRECT,
    GatewayError,
    GatewayTimeout,
    InvalidNotification,
    Notification,
    NotificationAnswer,
    Payer,
    PaymentStart,
    ProviderRecord,
    RefundRequest,
    RefundResult,
)
from shop.sandbox import provider
from shop.sandbox.models import SandboxCharge, SandboxRefund

# The sandbox's charge states as the gateway interface names a payment's.
CHARGE_STATES = {
    SandboxCharge.Status.OPEN: "pending",
    SandboxCharge.Status.SUCCEEDED: "succeeded",
    SandboxCharge.Status.DECLINED: "failed",
    SandboxCharge.Status.CLOSED: "failed",
}


@contextmanager
def _provider_errors() -> Iterator[None]:
    """The provider's failures as the gateway interface names them."""
    try:
        yield
    except provider.ProviderTimeout as error:
        raise GatewayTimeout(str(error)) from error
    except provider.ProviderRefusal as error:
        raise GatewayError(str(error)) from error


class SandboxGateway:
    name = "sandbox"

    def channels(self, payer: Payer) -> list[str]:
        return [REDIRECT]

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
        with _provider_errors():
            charge = provider.charge_create(
                merchant_reference=reference,
                amount=amount,
                description=description,
                return_url=return_url,
                notify_url=notify_url,
            )
        return PaymentStart(
            redirect_url=settings.SITE_URL + reverse("sandbox:pay", args=[charge.id]),
            provider_reference=charge.id,
        )

    def parse_notification(self, *, body: bytes, headers: Mapping[str, str]) -> Notification:
        header = headers.get("X-Sandbox-Signature", "")
        if not signing.verify(body, header, settings.SANDBOX_SECRET):
            raise InvalidNotification("Bad or expired signature.")
        try:
            event = json.loads(body)
            data = event["data"]
            return Notification(
                event_id=str(event["id"]),
                event_type=str(event["type"]),
                reference=str(data["reference"]),
                provider_reference=str(data["provider_reference"]),
                amount=Decimal(data["amount"]),
                payload=event,
            )
        except (ValueError, KeyError, TypeError, InvalidOperation) as error:
            raise InvalidNotification("Malformed notification body.") from error

    def answer(self, error: str | None) -> NotificationAnswer:
        if error is None:
            return NotificationAnswer(200, "text/plain", b"ok")
        return NotificationAnswer(400, "text/plain", error.encode())

    def refund(
        self,
        *,
        payment_reference: str,
        idempotency_key: str,
        amount: Decimal,
        notify_url: str,
        payment_amount: Decimal,
    ) -> RefundResult:
        with _provider_errors():
            refund = provider.refund_create(
                merchant_reference=payment_reference,
                idempotency_key=idempotency_key,
                amount=amount,
                notify_url=notify_url,
            )
        return RefundResult(
            status=refund.status, provider_reference=refund.id, failure_reason=refund.failure_reason
        )

    def refund_many(
        self, *, requests: list[RefundRequest], notify_url: str
    ) -> list[RefundResult | GatewayError]:
        with _provider_errors():
            answers = provider.refund_create_many(
                requests=[(r.payment_reference, r.idempotency_key, r.amount) for r in requests],
                notify_url=notify_url,
            )
        return [
            GatewayError(str(answer))
            if isinstance(answer, provider.ProviderRefusal)
            else RefundResult(
                status=answer.status,
                provider_reference=answer.id,
                failure_reason=answer.failure_reason,
            )
            for answer in answers
        ]

    def query_payment(self, *, reference: str) -> ProviderRecord | None:
        charge = SandboxCharge.objects.filter(merchant_reference=reference).first()
        return self._charge_record(charge) if charge else None

    def query_refund(
        self, *, idempotency_key: str, payment_reference: str = ""
    ) -> ProviderRecord | None:
        refund = SandboxRefund.objects.filter(idempotency_key=idempotency_key).first()
        return self._refund_record(refund) if refund else None

    def close_payment(self, *, reference: str) -> None:
        with _provider_errors():
            provider.charge_close(merchant_reference=reference)

    def records(self, day: date | None = None) -> Iterable[ProviderRecord]:
        """All the sandbox holds, or (a day) the charges completed and the refunds made on
        it, as a provider's daily bill would list them."""
        charges, refunds = SandboxCharge.objects.all(), SandboxRefund.objects.all()
        if day is not None:
            charges = charges.filter(completed_at__date=day)
            refunds = refunds.filter(created_at__date=day)
        for charge in charges.iterator():
            yield self._charge_record(charge)
        for refund in refunds.iterator():
            yield self._refund_record(refund)

    @staticmethod
    def _charge_record(charge: SandboxCharge) -> ProviderRecord:
        return ProviderRecord(
            kind="payment",
            reference=charge.merchant_reference,
            provider_reference=charge.id,
            amount=charge.amount,
            status=CHARGE_STATES[charge.status],
        )

    @staticmethod
    def _refund_record(refund: SandboxRefund) -> ProviderRecord:
        return ProviderRecord(
            kind="refund",
            reference=refund.idempotency_key,
            provider_reference=refund.id,
            amount=refund.amount,
            status=refund.status,
        )
