"""The prepaid balance as a payment gateway, so partner gifts use the one refund path.

A partner's gift is paid by debiting its balance (`services.partner_gift_send`), and its
refunds (decline, cancel, expiry) go through `shop.payments` like any other: a Refund row
with its idempotency key, executed by the refund tasks, settled once. This adapter is
where such a refund lands: a credit to the balance under the refund's key.
"""

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

from shop.payments.gateway import (
    GatewayError,
    InvalidNotification,
    Notification,
    NotificationAnswer,
    Payer,
    PaymentStart,
    ProviderRecord,
    RefundResult,
)
from shop.payments.models import Payment

from .balance import balance_move
from .models import BalanceEntry

NAME = "balance"


def charge_key(payment_reference: str) -> str:
    return f"charge:{payment_reference}"


def refund_key(idempotency_key: str) -> str:
    return f"refund:{idempotency_key}"


class BalanceGateway:
    name = NAME

    def channels(self, payer: Payer) -> list[str]:
        return []

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
        raise GatewayError("Balance payments are captured by the partner API, not started.")

    def parse_notification(self, *, body: bytes, headers: Mapping[str, str]) -> Notification:
        raise InvalidNotification("The balance sends no notifications.")

    def answer(self, error: str | None) -> NotificationAnswer:
        return NotificationAnswer(404, "text/plain", b"")

    def refund(
        self,
        *,
        payment_reference: str,
        idempotency_key: str,
        amount: Decimal,
        notify_url: str,
        payment_amount: Decimal,
    ) -> RefundResult:
        payment = Payment.objects.filter(reference=payment_reference, gateway=NAME).first()
        charge = BalanceEntry.objects.filter(idempotency_key=charge_key(payment_reference)).first()
        if payment is None or charge is None:
            raise GatewayError("No balance charge for this payment.")
        movement = balance_move(
            partner_id=charge.partner_id,
            amount=amount,
            kind=BalanceEntry.Kind.REFUND,
            idempotency_key=refund_key(idempotency_key),
            reference=payment_reference,
        )
        return RefundResult(status="succeeded", provider_reference=f"B{movement.entry.pk}")

    def query_payment(self, *, reference: str) -> ProviderRecord | None:
        entry = BalanceEntry.objects.filter(idempotency_key=charge_key(reference)).first()
        return _record("payment", reference, entry)

    def query_refund(
        self, *, idempotency_key: str, payment_reference: str = ""
    ) -> ProviderRecord | None:
        entry = BalanceEntry.objects.filter(idempotency_key=refund_key(idempotency_key)).first()
        return _record("refund", idempotency_key, entry)

    def close_payment(self, *, reference: str) -> None:
        """A balance charge is taken at once: there is never an open one to close."""

    def records(self, day: date | None = None) -> Iterable[ProviderRecord]:
        entries = BalanceEntry.objects.exclude(kind=BalanceEntry.Kind.TOP_UP).order_by("pk")
        if day is not None:
            entries = entries.filter(created_at__date=day)
        for entry in entries.iterator(chunk_size=2000):
            kind, _, reference = entry.idempotency_key.partition(":")
            yield _record("payment" if kind == "charge" else "refund", reference, entry)


def _record(kind: str, reference: str, entry: BalanceEntry | None) -> ProviderRecord | None:
    if entry is None:
        return None
    return ProviderRecord(
        kind=kind,
        reference=reference,
        provider_reference=f"B{entry.pk}",
        amount=abs(entry.amount),
        status="succeeded",
    )
