"""Writes to the money ledger. The only code that calls the payment gateway.

- A payment is marked paid only by a verified provider notification, never by the
  shopper's browser coming back.
- A refund row is written (with its idempotency key) before the provider is asked;
  the provider is then asked with that same key until it answers, so retries, crashes
  and redelivered tasks refund once.
- What a payment or refund is for is dispatched by `purpose` / `subject` to the owning
  app's handler, looked up here by dotted path so that payments imports no other app.
"""

import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from shop.core.tasks import publish

from .gateway import (
    GatewayError,
    GatewayTimeout,
    Notification,
    RefundRequest,
    get_gateway,
    refund_many,
)
from .models import Payment, PaymentNotification, Refund
from .selectors import OPEN_OR_DONE

logger = logging.getLogger(__name__)

# purpose → handler(payment) run in the transaction that marks the payment paid.
PAYMENT_SUCCEEDED_HANDLERS = {
    Payment.Purpose.ORDERS: "shop.orders.services.orders_payment_succeeded",
    Payment.Purpose.GIFT: "gifting.services.gift_payment_succeeded",
}
# subject type ("order" of "order:12") → handler(refunds) run, in the settling
# transaction, with the refunds of that type that just succeeded.
REFUND_SUCCEEDED_HANDLERS = {
    "order": "shop.orders.services.orders_refunds_succeeded",
    "gift": "gifting.services.gifts_refunds_succeeded",
}


class RefundError(Exception):
    """A refund that must not be made (too much, or nothing was paid)."""


def notify_url() -> str:
    return settings.SITE_URL + reverse("payments:notify", args=[get_gateway().name])


def payment_create(
    *,
    purpose: str,
    amount: Decimal,
    user: object | None,
    description: str,
    gateway: str | None = None,
) -> Payment:
    return Payment.objects.create(
        reference=f"P{timezone.now():%Y%m%d}{secrets.token_hex(8).upper()}",
        purpose=purpose,
        amount=amount,
        user=user,
        description=description[:200],
        gateway=gateway or get_gateway().name,
    )


def payment_start(*, payment: Payment, return_url: str) -> str:
    """Open the payment at the provider and return where to send the shopper.

    Raises GatewayError / GatewayTimeout; the payment stays pending and can be retried
    (the provider deduplicates by our reference).
    """
    started = get_gateway().start_payment(
        reference=payment.reference,
        amount=payment.amount,
        description=payment.description,
        return_url=return_url,
        notify_url=notify_url(),
    )
    Payment.objects.filter(pk=payment.pk, provider_reference__isnull=True).update(
        provider_reference=started.provider_reference
    )
    return started.redirect_url


def notification_handle(*, notification: Notification) -> None:
    """Apply a verified notification once; a replayed event id changes nothing."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                PaymentNotification.objects.create(
                    gateway=get_gateway().name,
                    event_id=notification.event_id,
                    event_type=notification.event_type,
                    payload=notification.payload,
                )
        except IntegrityError:
            logger.info("Ignoring replayed notification %s", notification.event_id)
            return
        if notification.event_type == Notification.PAYMENT_SUCCEEDED:
            _payment_succeeded(notification)
        elif notification.event_type == Notification.PAYMENT_FAILED:
            Payment.objects.filter(
                reference=notification.reference, status=Payment.Status.PENDING
            ).update(status=Payment.Status.FAILED)
        elif notification.event_type in (Notification.REFUND_SUCCEEDED, Notification.REFUND_FAILED):
            refund = Refund.objects.filter(idempotency_key=notification.reference).first()
            if refund is not None:
                succeeded = notification.event_type == Notification.REFUND_SUCCEEDED
                _refund_settle(refund, succeeded, notification.provider_reference, "")


def _payment_succeeded(notification: Notification) -> None:
    payment = Payment.objects.select_for_update().filter(reference=notification.reference).first()
    if payment is None:
        logger.error("Payment notification for unknown reference %s", notification.reference)
        return
    if notification.amount != payment.amount:
        logger.error(
            "Payment %s notified %s but %s was due; not marking it paid.",
            payment.reference,
            notification.amount,
            payment.amount,
        )
        return
    payment_succeeded(payment=payment, provider_reference=notification.provider_reference)


def payment_succeeded(*, payment: Payment, provider_reference: str) -> bool:
    """Mark the payment paid once (compare-and-set) and run its purpose's handler.

    Called for a verified provider notification, or when a partner's balance is charged;
    call inside the transaction that recorded the evidence.
    """
    won = Payment.objects.filter(
        pk=payment.pk, status__in=[Payment.Status.PENDING, Payment.Status.FAILED]
    ).update(
        status=Payment.Status.SUCCEEDED,
        succeeded_at=timezone.now(),
        provider_reference=provider_reference,
    )
    if won:
        payment.refresh_from_db()
        import_string(PAYMENT_SUCCEEDED_HANDLERS[payment.purpose])(payment)
    return bool(won)


def refund_create(
    *,
    payment: Payment,
    amount: Decimal,
    subject: str,
    idempotency_key: str,
    subject_limit: Decimal | None = None,
    reason: str = "",
) -> Refund:
    """Record a refund and queue it for the provider. The same key returns the same refund.

    The payment row is locked while refunds are added up, so concurrent refunds can never
    together exceed what was paid, nor (with `subject_limit`) what one subject of a shared
    payment cost: one order of a multi-merchant payment, one gift.
    """
    from .tasks import refund_execute_task

    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.amount != amount or existing.subject != subject:
                raise RefundError(_("This refund key was already used for another refund."))
            return existing
        if locked.status != Payment.Status.SUCCEEDED:
            raise RefundError(_("Only a completed payment can be refunded."))
        if amount <= 0:
            raise RefundError(_("A refund must be more than zero."))
        refunded = locked.refunds.filter(status__in=OPEN_OR_DONE).aggregate(total=Sum("amount"))
        available = locked.amount - (refunded["total"] or Decimal("0"))
        if subject_limit is not None:
            for_subject = locked.refunds.filter(subject=subject, status__in=OPEN_OR_DONE)
            already = for_subject.aggregate(total=Sum("amount"))["total"] or Decimal("0")
            available = min(available, subject_limit - already)
        if amount > available:
            raise RefundError(
                _("At most %(amount)s can still be refunded.") % {"amount": f"¥{available}"}
            )
        refund = Refund.objects.create(
            payment=locked,
            amount=amount,
            subject=subject,
            idempotency_key=idempotency_key,
            reason=reason[:200],
        )
        transaction.on_commit(lambda: publish(refund_execute_task, refund.pk))
    return refund


def refund_execute(*, refund_id: int) -> Refund:
    """Ask the provider for one pending refund (see `refunds_execute`).

    Raises GatewayTimeout when the provider did not answer, so the task retries.
    """
    if refunds_execute(refund_ids=[refund_id]):
        raise GatewayTimeout("The provider did not answer.")
    return Refund.objects.get(pk=refund_id)


def refunds_execute(*, refund_ids: list[int]) -> list[int]:
    """Ask the provider for pending refunds, each with its fixed idempotency key.

    Safe to run any number of times: settled refunds are skipped, the provider refunds a
    key once, and settling is a compare-and-set. A batch costs a fixed number of
    statements here (one provider round trip where the adapter batches). Returns the
    ids whose outcome is unknown (timeouts), for the caller to retry.
    """
    refunds = list(
        Refund.objects.filter(pk__in=refund_ids, status=Refund.Status.PENDING)
        .select_related("payment")
        .order_by("pk")
    )
    if not refunds:
        return []
    Refund.objects.filter(pk__in=[r.pk for r in refunds]).update(attempts=F("attempts") + 1)
    by_gateway: dict[str, list[Refund]] = {}
    for refund in refunds:
        by_gateway.setdefault(refund.payment.gateway, []).append(refund)
    timed_out, outcomes = [], []
    for name, batch in by_gateway.items():
        requests = [
            RefundRequest(
                payment_reference=r.payment.reference,
                idempotency_key=r.idempotency_key,
                amount=r.amount,
            )
            for r in batch
        ]
        try:
            answers = refund_many(get_gateway(name), requests, notify_url())
        except GatewayTimeout:
            timed_out.extend(r.pk for r in batch)
            continue
        for refund, answer in zip(batch, answers, strict=True):
            if isinstance(answer, GatewayTimeout):
                timed_out.append(refund.pk)
            elif isinstance(answer, GatewayError):
                outcomes.append(Outcome(refund, False, None, str(answer)))
            elif answer.status != "pending":
                succeeded = answer.status == "succeeded"
                outcomes.append(
                    Outcome(refund, succeeded, answer.provider_reference, answer.failure_reason)
                )
    with transaction.atomic():
        _refunds_settle(outcomes)
    return timed_out


@dataclass(frozen=True)
class Outcome:
    refund: Refund
    succeeded: bool
    provider_reference: str | None
    reason: str


def _refund_settle(
    refund: Refund, succeeded: bool, provider_reference: str | None, reason: str
) -> None:
    _refunds_settle([Outcome(refund, succeeded, provider_reference, reason)])


def _refunds_settle(outcomes: list[Outcome]) -> None:
    """Move pending refunds to their outcomes once, then run each subject's handler.

    The still-pending rows are locked (in id order) and only those are written, so a
    refund settled meanwhile (by a notification, another worker) is left alone: the
    compare-and-set, for a whole batch in two statements.
    """
    if not outcomes:
        return
    pending = set(
        Refund.objects.select_for_update()
        .filter(pk__in=[o.refund.pk for o in outcomes], status=Refund.Status.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    now = timezone.now()
    settled = []
    for outcome in outcomes:
        refund = outcome.refund
        if refund.pk not in pending:
            continue
        refund.status = Refund.Status.SUCCEEDED if outcome.succeeded else Refund.Status.FAILED
        refund.completed_at = now
        refund.provider_reference = outcome.provider_reference or refund.provider_reference
        refund.failure_reason = (outcome.reason or "")[:200]
        settled.append(refund)
        if not outcome.succeeded:
            logger.error("Refund %s failed: %s", refund.idempotency_key, outcome.reason)
    Refund.objects.bulk_update(
        settled, ["status", "completed_at", "provider_reference", "failure_reason"]
    )
    by_kind: dict[str, list[Refund]] = {}
    for refund in settled:
        if refund.status == Refund.Status.SUCCEEDED:
            by_kind.setdefault(refund.subject.partition(":")[0], []).append(refund)
    for kind, refunds in by_kind.items():
        handler = REFUND_SUCCEEDED_HANDLERS.get(kind)
        if handler:
            import_string(handler)(refunds)
