"""A partner's prepaid balance: the only code that moves it.

Each movement is a compare-and-set on the partner row (`balance >= charge` is part of the
UPDATE, so concurrent charges can never overdraw it) plus one ledger row with a unique
key, in one transaction. The partner row stays locked until that transaction ends, so a
key is checked and written by one movement at a time: a retried movement finds its row
and moves nothing.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F

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
    """Credit (positive) or debit (negative) the balance once for `idempotency_key`."""
    if amount == 0:
        raise InvalidAmount("A balance movement cannot be zero.")
    with transaction.atomic():
        partners = Partner.objects.filter(pk=partner_id)
        if amount < 0:
            partners = partners.filter(balance__gte=-amount)
        moved = partners.update(balance=F("balance") + amount)  # locks the partner row
        existing = BalanceEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            transaction.set_rollback(True)  # undo this attempt's UPDATE
            return Movement(existing, created=False)
        if not moved:
            available = Partner.objects.values_list("balance", flat=True).get(pk=partner_id)
            raise InsufficientBalance(available, -amount)
        after = Partner.objects.values_list("balance", flat=True).get(pk=partner_id)
        entry = BalanceEntry.objects.create(
            partner_id=partner_id,
            kind=kind,
            amount=amount,
            balance_after=after,
            idempotency_key=idempotency_key,
            reference=reference[:64],
            note=note[:200],
        )
    return Movement(entry, created=True)
