"""A partner's prepaid balance: the only code that moves it.

Each movement is a compare-and-set on the partner row (`balance >= charge` is part of the
UPDATE, so concurrent charges can never overdraw it) plus one ledger row with a unique
key, in one transaction. The partner row stays locked until that transaction ends, so a
key is checked and written by one movement at a time: a retried movement finds its row
and moves nothing.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from shop.core.errors import DomainError
from shop.core.money import quantize

from .models import BalanceEntry, Partner


class InsufficientBalance(DomainError):
    """The prepaid balance does not cover a charge; nothing was charged."""

    code = "insufficient-balance"
    status = 402

    def __init__(self, available: Decimal, needed: Decimal) -> None:
        super().__init__(
            f"The charge is {quantize(needed)} CNY; the balance is {quantize(available)} CNY."
        )
        self.available = available
        self.needed = needed


class InvalidAmount(DomainError, ValueError):
    """A balance movement of an amount the ledger does not take (zero, or a negative top-up).

    Still a ValueError, as the checks it replaces raised."""

    code = "invalid-amount"
    status = 422
    field = "amount"


@dataclass(frozen=True)
class Movement:
    entry: BalanceEntry
    created: bool


def balance_move(
    *,
    partner_id: int,
    amount: Decimal,
    kind: str,
    idempotency_key: str,
    reference: str = "",
    note: str = "",
) -> Movement:
    """Credit (positive) or debit (negative) the balance once for `idempotency_key`.

    Two statements when it moves: the compare-and-set UPDATE, which answers the balance
    after it, and the ledger row, inserted unless its key is taken. A replay or a short
    balance costs a few more, to say which.
    """
    if amount == 0:
        raise InvalidAmount("A balance movement cannot be zero.")
    ops = connection.ops
    now = timezone.now()
    reference, note = reference[:64], note[:200]
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        debit = "AND balance >= %s" if amount < 0 else ""
        cursor.execute(
            f"UPDATE {PARTNERS} SET balance = balance + %s WHERE id = %s {debit} RETURNING balance",
            [ops.adapt_decimalfield_value(amount), partner_id]
            + ([ops.adapt_decimalfield_value(-amount)] if amount < 0 else []),
        )
        moved = cursor.fetchone()
        if moved is not None:
            cursor.execute(
                f"INSERT INTO {ENTRIES} (partner_id, kind, amount, balance_after,"
                " idempotency_key, reference, note, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
                [
                    partner_id,
                    kind,
                    ops.adapt_decimalfield_value(amount),
                    moved[0],
                    idempotency_key,
                    reference,
                    note,
                    ops.adapt_datetimefield_value(now),
                ],
            )
            inserted = cursor.fetchone()
            if inserted is not None:
                entry = BalanceEntry(
                    pk=inserted[0],
                    partner_id=partner_id,
                    kind=kind,
                    amount=amount,
                    balance_after=quantize(Decimal(str(moved[0]))),
                    idempotency_key=idempotency_key,
                    reference=reference,
                    note=note,
                    created_at=now,
                )
                entry._state.adding = False
                return Movement(entry, created=True)
            # The key was written before: a replay. Undo this attempt's move; the row
            # is still ours (locked by the UPDATE), so nothing moved in between.
            Partner.objects.filter(pk=partner_id).update(balance=F("balance") - amount)
        existing = BalanceEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return Movement(existing, created=False)
        available = Partner.objects.values_list("balance", flat=True).get(pk=partner_id)
    # Raised once out of the block, which wrote nothing: a caller's transaction goes on.
    raise InsufficientBalance(available, -amount)


PARTNERS = Partner._meta.db_table
ENTRIES = BalanceEntry._meta.db_table
