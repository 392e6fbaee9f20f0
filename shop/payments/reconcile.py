"""Reconciliation: does our money ledger agree with the provider's books?

Why this exists: the ledger is only as right as the notifications and refund answers that
reached us. A notification the provider gave up delivering, a refund whose answer timed
out and was never retried, a bug that wrote the wrong amount: each leaves the shop
believing something about money that the provider does not, and nothing in the normal
flow would ever notice. So this compares both sides row by row and lists every
disagreement for a person to look at.

It only reports; it never repairs. Money "fixed" by a machine from a report is how one
mistake becomes two, and most differences need a human decision (refund the shopper?
chase the provider?).

Memory: our side is read once into two dicts keyed by reference (payment reference,
refund idempotency key), holding only the amount, status and age of each row; the
provider's side is streamed record by record and each match is popped from the dicts,
so what is left at the end is what the provider does not have. The per-payment refund
total is summed by the database, not in Python.

Timing: both sides keep moving while this runs. Our side is read first and the provider's
second, which matches the order in which money moves (the provider settles, then tells
us), and anything that looks missing on our side is looked up again at the end, so a
notification applied during the run is not reported. A notification still on its way
(the provider retries for a while) does show as a difference until it arrives; run this
when that queue is quiet, or run it twice.
"""

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db.models import F, Q, Sum
from django.utils import timezone

from shop.core import money

from .gateway import PaymentGateway, ProviderRecord, get_gateway
from .models import Payment, Refund

# A pending refund younger than this may simply have its answer or notification in flight.
PENDING_REFUND_GRACE = timedelta(minutes=10)
# How many references go into one `IN (…)` look-up, and rows per fetch when streaming.
CHUNK_SIZE = 500

# What the provider's records say (ProviderRecord.status: succeeded, pending or failed).
# Only "succeeded" means money moved.
PROVIDER_SUCCEEDED = "succeeded"


class Kind(enum.StrEnum):
    """What kind of disagreement; a StrEnum so it prints and compares as plain text."""

    PAYMENT_NOT_PAID_HERE = "payment_not_paid_here"
    PAYMENT_NOT_PAID_AT_PROVIDER = "payment_not_paid_at_provider"
    PAYMENT_AMOUNT_MISMATCH = "payment_amount_mismatch"
    REFUND_UNKNOWN_HERE = "refund_unknown_here"
    REFUND_NOT_REFUNDED_AT_PROVIDER = "refund_not_refunded_at_provider"
    REFUND_FAILED_HERE = "refund_failed_here"
    REFUND_STILL_PENDING_HERE = "refund_still_pending_here"
    REFUND_AMOUNT_MISMATCH = "refund_amount_mismatch"
    OVER_REFUNDED = "over_refunded"


@dataclass(frozen=True)
class Difference:
    """One disagreement. `ours` / `theirs` describe each side ("succeeded ¥99.00"), or are
    None when that side has no such record; `problem` says in words what is wrong."""

    kind: Kind
    reference: str
    ours: str | None
    theirs: str | None
    problem: str

    def __str__(self) -> str:
        return (
            f"{self.kind} {self.reference}: {self.problem} "
            f"(ours: {self.ours or 'none'}; provider: {self.theirs or 'none'})"
        )


@dataclass(frozen=True)
class Report:
    """The differences, and how many payments and refunds were looked at (for the summary)."""

    differences: list[Difference]
    payments_checked: int
    refunds_checked: int


class _OurRefund(NamedTuple):
    amount: Decimal
    status: str
    created_at: datetime


def reconcile(gateway_name: str | None = None, day: date | None = None) -> list[Difference]:
    """Every difference between the ledger and a gateway's records (default: the
    configured provider's); with a day, that day's bill against that day's ledger."""
    return reconcile_report(gateway_name, day).differences


def _day_window(day: date) -> tuple[datetime, datetime]:
    """The day in the shop's time zone (Asia/Shanghai, as the providers' bills are)."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def reconcile_report(gateway_name: str | None = None, day: date | None = None) -> Report:
    """`reconcile()` with the counts the management command prints.

    With a day, our side is the payments that succeeded on it and the refunds settled on
    it (or, still pending, asked for on it); anything the provider's bill has that falls
    outside is looked up across all days at the end, like any record we lacked.
    """
    gateway = get_gateway(gateway_name)
    now = timezone.now()
    payments = Payment.objects.filter(gateway=gateway.name, status=Payment.Status.SUCCEEDED)
    refunds = Refund.objects.filter(payment__gateway=gateway.name)
    if day is not None:
        start, end = _day_window(day)
        payments = payments.filter(succeeded_at__gte=start, succeeded_at__lt=end)
        refunds = refunds.filter(
            Q(completed_at__gte=start, completed_at__lt=end)
            | Q(completed_at__isnull=True, created_at__gte=start, created_at__lt=end)
        )
    # Keyed by trade number, as the provider knows them: a payment the shopper took from
    # one provider to another is at its last attempt's.
    our_payments: dict[str, Decimal] = {
        Payment(reference=reference, attempt=attempt).trade_no: amount
        for reference, attempt, amount in payments.values_list(
            "reference", "attempt", "amount"
        ).iterator(chunk_size=CHUNK_SIZE)
    }
    our_refunds: dict[str, _OurRefund] = {
        key: _OurRefund(amount, status, created_at)
        for key, amount, status, created_at in refunds.values_list(
            "idempotency_key", "amount", "status", "created_at"
        ).iterator(chunk_size=CHUNK_SIZE)
    }
    payments_checked, refunds_checked = len(our_payments), len(our_refunds)
    differences: list[Difference] = []
    # Provider records with no counterpart in what we read; looked up again at the end.
    paid_there_only: dict[str, ProviderRecord] = {}
    refunds_there_only: dict[str, ProviderRecord] = {}

    for record in _records(gateway, day):
        if record.kind == "payment":
            amount = our_payments.pop(record.reference, None)
            if amount is None:
                # A pending or failed charge that we do not have as paid agrees with us.
                if record.status == PROVIDER_SUCCEEDED:
                    paid_there_only[record.reference] = record
                    payments_checked += 1
                continue
            differences.extend(_compare_payment(record.reference, amount, record))
        else:
            ours = our_refunds.pop(record.reference, None)
            if ours is None:
                refunds_there_only[record.reference] = record
                refunds_checked += 1
                continue
            differences.extend(_compare_refund(record.reference, ours, record, now))

    # What is left on our side has no record at the provider at all.
    for reference, amount in our_payments.items():
        differences.extend(_compare_payment(reference, amount, None))
    for key, ours in our_refunds.items():
        differences.extend(_compare_refund(key, ours, None, now))
    differences.extend(_paid_there_only(paid_there_only))
    differences.extend(_refunds_there_only(refunds_there_only, now))
    differences.extend(_over_refunded(gateway.name))
    differences.sort(key=lambda d: (d.reference, d.kind))
    return Report(differences, payments_checked, refunds_checked)


def _records(gateway: PaymentGateway, day: date | None) -> Iterator[ProviderRecord]:
    for record in gateway.records(day):
        if record.kind not in ("payment", "refund"):
            # A record we cannot classify would silently hide money; stop loudly instead.
            raise ValueError(f"Unknown provider record kind {record.kind!r}")
        yield record


def _describe(status: str, amount: Decimal) -> str:
    return f"{status} {money.format_cny(amount)}"


def _compare_payment(
    reference: str, amount: Decimal, theirs: ProviderRecord | None
) -> Iterator[Difference]:
    """Our succeeded payment against the provider's charge (None: the provider has none)."""
    ours = _describe(Payment.Status.SUCCEEDED, amount)
    if theirs is None:
        yield Difference(
            Kind.PAYMENT_NOT_PAID_AT_PROVIDER,
            reference,
            ours,
            None,
            f"Our ledger has {money.format_cny(amount)} paid but the provider has no such payment.",
        )
        return
    described = _describe(theirs.status, theirs.amount)
    if theirs.status != PROVIDER_SUCCEEDED:
        yield Difference(
            Kind.PAYMENT_NOT_PAID_AT_PROVIDER,
            reference,
            ours,
            described,
            f"Our ledger has {money.format_cny(amount)} paid but the provider has the payment {theirs.status}.",
        )
    if theirs.amount != amount:
        yield Difference(
            Kind.PAYMENT_AMOUNT_MISMATCH,
            reference,
            ours,
            described,
            f"Our ledger has {money.format_cny(amount)} but the provider has {money.format_cny(theirs.amount)}.",
        )


def _compare_refund(
    key: str, ours: _OurRefund, theirs: ProviderRecord | None, now: datetime
) -> Iterator[Difference]:
    """Our refund row against the provider's refund (None: the provider has none).

    A pending or failed refund the provider never heard of agrees with us (not executed
    yet, or refused before the provider recorded it); a pending one the provider has
    settled is normal until its answer has had PENDING_REFUND_GRACE to arrive.
    """
    described_ours = _describe(ours.status, ours.amount)
    if theirs is None:
        if ours.status == Refund.Status.SUCCEEDED:
            yield Difference(
                Kind.REFUND_NOT_REFUNDED_AT_PROVIDER,
                key,
                described_ours,
                None,
                f"Our ledger has {money.format_cny(ours.amount)} refunded but the provider has no such refund.",
            )
        return
    described_theirs = _describe(theirs.status, theirs.amount)
    if ours.status == Refund.Status.SUCCEEDED and theirs.status != PROVIDER_SUCCEEDED:
        yield Difference(
            Kind.REFUND_NOT_REFUNDED_AT_PROVIDER,
            key,
            described_ours,
            described_theirs,
            f"Our ledger has {money.format_cny(ours.amount)} refunded but the provider has the refund "
            f"{theirs.status}.",
        )
    elif ours.status == Refund.Status.FAILED and theirs.status == PROVIDER_SUCCEEDED:
        yield Difference(
            Kind.REFUND_FAILED_HERE,
            key,
            described_ours,
            described_theirs,
            f"The provider refunded {money.format_cny(theirs.amount)} but our ledger has the refund failed.",
        )
    elif ours.status == Refund.Status.PENDING and now - ours.created_at > PENDING_REFUND_GRACE:
        minutes = int((now - ours.created_at).total_seconds() // 60)
        yield Difference(
            Kind.REFUND_STILL_PENDING_HERE,
            key,
            described_ours,
            described_theirs,
            f"The provider already settled this refund as {theirs.status} but our ledger "
            f"still has it pending after {minutes} minutes.",
        )
    if theirs.amount != ours.amount:
        yield Difference(
            Kind.REFUND_AMOUNT_MISMATCH,
            key,
            described_ours,
            described_theirs,
            f"Our ledger has {money.format_cny(ours.amount)} but the provider has {money.format_cny(theirs.amount)}.",
        )


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), CHUNK_SIZE):
        yield items[start : start + CHUNK_SIZE]


def _paid_there_only(records: dict[str, ProviderRecord]) -> Iterable[Difference]:
    """Payments the provider took that we did not have as paid, read again now: one whose
    notification was applied while we were reading is compared, not reported missing."""
    for chunk in _chunks(sorted(records)):
        found = {
            Payment(reference=reference, attempt=attempt).trade_no: (status, amount)
            for reference, attempt, status, amount in Payment.objects.filter(
                reference__in={Payment.parse_trade_no(trade_no)[0] for trade_no in chunk}
            ).values_list("reference", "attempt", "status", "amount")
        }
        for reference in chunk:
            theirs = records[reference]
            # A trade the shopper left is not found here: paid there, it was paid twice.
            status, amount = found.get(reference, (None, None))
            if status == Payment.Status.SUCCEEDED:
                yield from _compare_payment(reference, amount, theirs)
                continue
            ours = _describe(status, amount) if status else None
            whose = f"has it {status}" if status else "has no such payment"
            yield Difference(
                Kind.PAYMENT_NOT_PAID_HERE,
                reference,
                ours,
                _describe(theirs.status, theirs.amount),
                f"The provider took {money.format_cny(theirs.amount)} but our ledger {whose}.",
            )


def _refunds_there_only(records: dict[str, ProviderRecord], now: datetime) -> Iterable[Difference]:
    """Provider refunds we had no row for, read again now (a row written during the run is
    compared normally)."""
    for chunk in _chunks(sorted(records)):
        found = {
            key: _OurRefund(amount, status, created_at)
            for key, amount, status, created_at in Refund.objects.filter(
                idempotency_key__in=chunk
            ).values_list("idempotency_key", "amount", "status", "created_at")
        }
        for key in chunk:
            theirs = records[key]
            if key in found:
                yield from _compare_refund(key, found[key], theirs, now)
                continue
            yield Difference(
                Kind.REFUND_UNKNOWN_HERE,
                key,
                None,
                _describe(theirs.status, theirs.amount),
                f"The provider has a {theirs.status} refund of {money.format_cny(theirs.amount)} that our "
                "ledger does not know.",
            )


def _over_refunded(gateway_name: str) -> Iterable[Difference]:
    """Payments whose refunds (done or still to do) add up to more than was paid.

    `refund_create` locks the payment to prevent this, so any row here means money went,
    or is about to go, out twice. Summed by the database, one row per offending payment.
    """
    rows = (
        Refund.objects.filter(
            payment__gateway=gateway_name,
            status__in=(Refund.Status.PENDING, Refund.Status.SUCCEEDED),
        )
        .values("payment__reference", "payment__amount")
        .annotate(
            total=Sum("amount"),
            refunded=Sum(
                "amount", filter=Q(status=Refund.Status.SUCCEEDED), default=Decimal("0.00")
            ),
        )
        .filter(total__gt=F("payment__amount"))
        .order_by("payment__reference")
    )
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        total, refunded = money.total(row["total"]), money.total(row["refunded"])
        paid = row["payment__amount"]
        yield Difference(
            Kind.OVER_REFUNDED,
            row["payment__reference"],
            f"paid {money.format_cny(paid)}, refunds {money.format_cny(total)}",
            None,
            f"Refunds of {money.format_cny(total)} ({money.format_cny(refunded)} refunded, {money.format_cny(total - refunded)} pending) exceed "
            f"the {money.format_cny(paid)} paid.",
        )
