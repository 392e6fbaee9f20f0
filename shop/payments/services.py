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
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from shop.core import jobs, money
from shop.core.errors import DomainError
from shop.core.money import format_cny
from shop.core.tasks import publish

from .gateway import (
    GatewayError,
    GatewayTimeout,
    Notification,
    Payer,
    PaymentStart,
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
    Payment.Purpose.CHIP_IN: "gifting.chipin.services.contribution_payment_succeeded",
}
# subject type ("order" of "order:12") → handler(refunds) run, in the settling
# transaction, with the refunds of that type that just succeeded.
REFUND_SUCCEEDED_HANDLERS = {
    "order": "shop.orders.services.orders_refunds_succeeded",
    "gift": "gifting.services.gifts_refunds_succeeded",
    "chipin": "gifting.chipin.services.contributions_refunds_succeeded",
}


class RefundError(DomainError):
    """A refund that must not be made (too much, or nothing was paid)."""

    code = "refund-refused"


def notify_url(gateway: str | None = None) -> str:
    name = gateway or get_gateway().name
    return settings.SITE_URL + reverse("payments:notify", args=[name])


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


def payment_start(
    *, payment: Payment, return_url: str, payer: Payer | None = None, gateway: str | None = None
) -> PaymentStart:
    """Open the payment at the provider (the payment's own, or the one the shopper chose
    instead) in the payer's channel, and say where the shopper goes next.

    Raises GatewayError / GatewayTimeout; the payment stays pending and can be retried
    (the provider deduplicates by our reference). Switching provider first closes the
    payment at the one it was opened with, so it cannot be paid twice.
    """
    name = gateway or payment.gateway
    if name != payment.gateway:
        left = payment.trade_no
        switched = Payment.objects.filter(
            pk=payment.pk, status=Payment.Status.PENDING, attempt=payment.attempt
        ).update(gateway=name, provider_reference=None, attempt=F("attempt") + 1)
        if switched:
            _close_at(payment.gateway, left)
        payment.refresh_from_db(fields=["gateway", "provider_reference", "attempt"])
    started = get_gateway(name).start_payment(
        reference=payment.trade_no,
        amount=payment.amount,
        description=payment.description,
        return_url=return_url,
        notify_url=notify_url(name),
        payer=payer or Payer(),
    )
    Payment.objects.filter(pk=payment.pk, provider_reference__isnull=True).update(
        provider_reference=started.provider_reference
    )
    return started


def payment_close(*, payment: Payment) -> None:
    """Close an unpaid payment at its provider once the transaction commits (an order
    cancelled, a gift abandoned), so a late payment cannot arrive for it.

    A provider that refuses or does not answer is only logged: the cancel stands, and
    money that still arrives is refunded by the purpose's handler.
    """
    if payment.status != Payment.Status.PENDING or not payment.provider_reference:
        return
    name, trade_no = payment.gateway, payment.trade_no
    transaction.on_commit(lambda: _close_at(name, trade_no))


def _close_at(gateway: str, trade_no: str) -> None:
    try:
        get_gateway(gateway).close_payment(reference=trade_no)
    except GatewayError as error:
        logger.warning("Could not close payment %s at %s: %s", trade_no, gateway, error)


def notification_handle(*, notification: Notification, gateway: str) -> None:
    """Apply a verified notification from `gateway` once; a replayed event id changes
    nothing. The gateway is said, never assumed: a trade is known by both."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                PaymentNotification.objects.create(
                    gateway=gateway,
                    event_id=notification.event_id,
                    event_type=notification.event_type,
                    payload=notification.payload,
                )
        except IntegrityError:
            logger.info("Ignoring replayed notification %s", notification.event_id)
            return
        if notification.event_type == Notification.PAYMENT_SUCCEEDED:
            _payment_succeeded(notification, gateway)
        elif notification.event_type == Notification.PAYMENT_FAILED:
            # Only the trade the payment is at now: a provider the shopper left reports
            # the trade we closed there.
            reference, attempt = Payment.parse_trade_no(notification.reference)
            Payment.objects.filter(
                reference=reference,
                attempt=attempt,
                gateway=gateway,
                status=Payment.Status.PENDING,
            ).update(status=Payment.Status.FAILED)
        elif notification.event_type in (Notification.REFUND_SUCCEEDED, Notification.REFUND_FAILED):
            refund = Refund.objects.filter(idempotency_key=notification.reference).first()
            if refund is not None:
                succeeded = notification.event_type == Notification.REFUND_SUCCEEDED
                _refund_settle(refund, succeeded, notification.provider_reference, "")


def _payment_succeeded(notification: Notification, gateway: str) -> None:
    """A trade was paid. Usually it is the one the payment is at; when it is one the
    shopper left for another provider, that payment counts and the other trade is closed;
    when the payment was already paid at another trade, the money came twice and is
    parked for operators (reconcile reports it too) rather than taken as a second payment."""
    reference, attempt = Payment.parse_trade_no(notification.reference)
    payment = Payment.objects.select_for_update().filter(reference=reference).first()
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
    if (payment.gateway, payment.attempt) != (gateway, attempt):
        if payment.status == Payment.Status.SUCCEEDED:
            _paid_twice(payment, gateway, notification)
            return
        left_at, left = payment.gateway, payment.trade_no
        Payment.objects.filter(pk=payment.pk).update(gateway=gateway, attempt=attempt)
        payment.refresh_from_db(fields=["gateway", "attempt"])
        transaction.on_commit(lambda: _close_at(left_at, left))
    payment_succeeded(payment=payment, provider_reference=notification.provider_reference)


def _paid_twice(payment: Payment, gateway: str, notification: Notification) -> None:
    logger.error(
        "Payment %s, paid at %s %s, was paid again at %s %s.",
        payment.reference,
        payment.gateway,
        payment.trade_no,
        gateway,
        notification.reference,
    )
    jobs.failed(
        PAID_TWICE_JOB,
        payment.pk,
        f"Paid at {payment.gateway} ({payment.trade_no}) and again at {gateway} "
        f"({notification.reference}, {money.format_cny(notification.amount)}, provider id "
        f"{notification.provider_reference}): refund the second in {gateway}'s merchant console.",
        park=True,
    )


PAID_TWICE_JOB = jobs.define(
    "payments.paid_twice",
    gettext_noop("Payments paid twice, at two providers: refund the second by hand"),
    model="payments.payment",
)


def payment_succeeded(*, payment: Payment, provider_reference: str) -> bool:
    """Mark the payment paid once (compare-and-set) and run its purpose's handler.

    Called for a verified provider notification; call inside the transaction that
    recorded the evidence.
    """
    won = payment_mark_succeeded(payment=payment, provider_reference=provider_reference)
    if won:
        import_string(PAYMENT_SUCCEEDED_HANDLERS[payment.purpose])(payment)
    return won


def payment_mark_succeeded(*, payment: Payment, provider_reference: str) -> bool:
    """The compare-and-set alone, for a payment whose purpose is already served: a
    partner's gift, born live in the transaction that charges the partner's balance
    (the evidence). `payment` is updated in memory, as it now is in the database."""
    now = timezone.now()
    won = Payment.objects.filter(
        pk=payment.pk, status__in=[Payment.Status.PENDING, Payment.Status.FAILED]
    ).update(
        status=Payment.Status.SUCCEEDED, succeeded_at=now, provider_reference=provider_reference
    )
    if won:
        payment.status = Payment.Status.SUCCEEDED
        payment.succeeded_at = now
        payment.provider_reference = provider_reference
    return bool(won)


@dataclass(frozen=True)
class RefundSpec:
    """One refund to record: `idempotency_key` identifies it here and at the provider."""

    payment_id: int
    amount: Decimal
    subject: str
    idempotency_key: str
    subject_limit: Decimal | None = None
    reason: str = ""


def refund_create(
    *,
    payment: Payment,
    amount: Decimal,
    subject: str,
    idempotency_key: str,
    subject_limit: Decimal | None = None,
    reason: str = "",
) -> Refund:
    """Record one refund and queue it for the provider (see `refunds_create`)."""
    # tasks imports this module: the task is looked up at call time (a real cycle).
    from .tasks import refund_execute_task

    spec = RefundSpec(payment.pk, amount, subject, idempotency_key, subject_limit, reason)
    with transaction.atomic():
        (refund,), new = _refunds_record([spec])
        if new:
            transaction.on_commit(lambda: publish(refund_execute_task, refund.pk))
    return refund


def refunds_create(specs: list[RefundSpec]) -> list[Refund]:
    """Record refunds and queue them for the provider: the one writer of refund rows.

    A key already used returns its refund (and refuses a different amount or subject). The
    payments are locked (in id order) while their refunds are added up, so concurrent
    refunds can never together exceed what was paid, nor (with `subject_limit`) what one
    subject of a shared payment cost: one order of a multi-merchant payment, one gift. A
    batch costs a fixed number of statements (the gift expiry sweep sends 500 at a time);
    any refusal raises RefundError and records nothing.
    """
    with transaction.atomic():
        refunds, new = _refunds_record(specs)
        ids = [refund.pk for refund in new]
        if ids:
            transaction.on_commit(lambda: refunds_publish(ids))
    return refunds


def refunds_publish(refund_ids: list[int]) -> None:
    """Queue refunds for execution, 100 to a task (a lost message: `refunds_stuck`)."""
    # tasks imports this module: the task is looked up at call time (a real cycle).
    from .tasks import refunds_execute_task

    for start in range(0, len(refund_ids), 100):
        publish(refunds_execute_task, refund_ids[start : start + 100])


def _refunds_record(specs: list[RefundSpec]) -> tuple[list[Refund], list[Refund]]:
    """The refunds for `specs`, and which of them are new; call inside a transaction."""
    payment_ids = sorted({spec.payment_id for spec in specs})
    locked = Payment.objects.select_for_update().filter(pk__in=payment_ids).order_by("pk")
    payments = {payment.pk: payment for payment in locked}
    by_key = Refund.objects.in_bulk(
        [spec.idempotency_key for spec in specs], field_name="idempotency_key"
    )
    open_or_done = Refund.objects.filter(payment_id__in=payment_ids, status__in=OPEN_OR_DONE)
    paid_back: dict[int, Decimal] = {
        payment_id: money.total(amount)
        for payment_id, amount in open_or_done.values("payment_id")
        .annotate(total=Sum("amount"))
        .values_list("payment_id", "total")
    }
    for_subject: dict[tuple[int, str], Decimal] = {
        (row["payment_id"], row["subject"]): money.total(row["total"])
        for row in open_or_done.filter(subject__in={spec.subject for spec in specs})
        .values("payment_id", "subject")
        .annotate(total=Sum("amount"))
    }
    zero = Decimal("0")
    new: list[Refund] = []
    for spec in specs:
        existing = by_key.get(spec.idempotency_key)
        if existing is not None:
            if existing.amount != spec.amount or existing.subject != spec.subject:
                raise RefundError(_("This refund key was already used for another refund."))
            continue
        payment = payments.get(spec.payment_id)
        if payment is None or payment.status != Payment.Status.SUCCEEDED:
            raise RefundError(_("Only a completed payment can be refunded."))
        if spec.amount <= 0:
            raise RefundError(_("A refund must be more than zero."))
        available = payment.amount - paid_back.get(payment.pk, zero)
        subject_key = (payment.pk, spec.subject)
        if spec.subject_limit is not None:
            available = min(available, spec.subject_limit - for_subject.get(subject_key, zero))
        if spec.amount > available:
            raise RefundError(
                _("At most %(amount)s can still be refunded.") % {"amount": format_cny(available)}
            )
        paid_back[payment.pk] = paid_back.get(payment.pk, zero) + spec.amount
        for_subject[subject_key] = for_subject.get(subject_key, zero) + spec.amount
        refund = Refund(
            payment=payment,
            amount=spec.amount,
            subject=spec.subject,
            idempotency_key=spec.idempotency_key,
            reason=spec.reason[:200],
        )
        by_key[spec.idempotency_key] = refund
        new.append(refund)
    Refund.objects.bulk_create(new)
    return [by_key[spec.idempotency_key] for spec in specs], new


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
                payment_reference=r.payment.trade_no,
                idempotency_key=r.idempotency_key,
                amount=r.amount,
                payment_amount=r.payment.amount,
            )
            for r in batch
        ]
        try:
            answers = refund_many(get_gateway(name), requests, notify_url(name))
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
    Refund.objects.bulk_update(
        settled, ["status", "completed_at", "provider_reference", "failure_reason"]
    )
    for refund in settled:
        if refund.status == Refund.Status.FAILED:  # refused for good: an operator decides
            jobs.failed(REFUND_JOB, refund.pk, refund.failure_reason or "Refused", park=True)
    jobs.succeeded(REFUND_JOB, [r.pk for r in settled if r.status == Refund.Status.SUCCEEDED])
    by_kind: dict[str, list[Refund]] = {}
    for refund in settled:
        if refund.status == Refund.Status.SUCCEEDED:
            by_kind.setdefault(refund.subject.partition(":")[0], []).append(refund)
    for kind, refunds in by_kind.items():
        handler = REFUND_SUCCEEDED_HANDLERS.get(kind)
        if handler:
            import_string(handler)(refunds)


def refund_reopen(refund_id: int) -> None:
    """An operator's retry of a parked refund: ask the provider again, with the same key."""
    # tasks imports this module: the task is looked up at call time (a real cycle).
    from .tasks import refund_execute_task

    reopened = Refund.objects.filter(
        pk=refund_id, status__in=[Refund.Status.FAILED, Refund.Status.PENDING]
    ).update(status=Refund.Status.PENDING, completed_at=None, failure_reason="", attempts=0)
    if reopened:
        transaction.on_commit(lambda: publish(refund_execute_task, refund_id))


REFUND_JOB = jobs.define(
    "payments.refund",
    gettext_noop("Refunds the provider refused or never answered"),
    model="payments.refund",
    retry=refund_reopen,
)


def refunds_stuck(*, limit: int = 5000) -> list[int]:
    """Refunds still pending after REFUND_RESUME_AFTER_SECONDS (a lost publish, a dead
    worker, a provider that did not answer), to ask again. One asked REFUND_MAX_ATTEMPTS
    times without an answer is parked for operators instead."""
    cutoff = timezone.now() - timedelta(seconds=settings.REFUND_RESUME_AFTER_SECONDS)
    stuck = (
        Refund.objects.filter(status=Refund.Status.PENDING, created_at__lt=cutoff)
        .exclude(pk__in=jobs.held_back(REFUND_JOB))
        .order_by("pk")
    )
    for refund_id in stuck.filter(attempts__gte=settings.REFUND_MAX_ATTEMPTS).values_list(
        "pk", flat=True
    ):
        jobs.failed(
            REFUND_JOB,
            refund_id,
            f"The provider did not answer {settings.REFUND_MAX_ATTEMPTS} requests.",
            park=True,
        )
    return list(
        stuck.filter(attempts__lt=settings.REFUND_MAX_ATTEMPTS).values_list("pk", flat=True)[:limit]
    )


def refunds_execute_isolated(refund_ids: list[int]) -> list[int]:
    """`refunds_execute` for a task's batch, where one refund that raises (not a provider
    answer: a bug, a broken row) must not hold up the rest: the batch is then taken one
    refund at a time and the failing one retried with backoff, then parked."""
    try:
        return refunds_execute(refund_ids=refund_ids)
    except Exception as error:
        logger.warning("Refund batch %s… failed (%s); one at a time", refund_ids[:1], error)
    unanswered: list[int] = []
    jobs.run_each(
        REFUND_JOB,
        refund_ids,
        lambda pk: unanswered.extend(refunds_execute(refund_ids=[pk])),
        key=int,
    )
    return unanswered
