"""The gift state machine: the only place a gift's status changes.

    pending_payment ──paid──▶ awaiting_recipient ──last unit claimed──▶ accepted
          │                        │
       abandon          decline / cancel / expire
          ▼                        ▼
      abandoned          declined / cancelled / expired   (unclaimed units refunded)

Each transition is one compare-and-set UPDATE. A claim and an expiry (or a cancel, or a
decline) racing for the same gift both filter on `status = awaiting_recipient`; PostgreSQL
re-checks the WHERE clause after the first commits, so exactly one wins and a gift is never
both delivered and refunded. Claims also check the deadline in the same statement, so no
unit is claimed after `expires_at`, swept or not. A claim's thank-you note is set the
same way, once (`thank`).
"""

from datetime import datetime
from decimal import Decimal

from django.db.models import Case, F, Value, When
from django.utils import timezone

from .models import ChipIn, Contribution, Gift, GiftClaim

S = Gift.Status
TERMINAL_AFTER_PAYMENT = (S.DECLINED, S.CANCELLED, S.EXPIRED)


def mark_paid(gift_id: int, *, expires_at: datetime) -> bool:
    return (
        Gift.objects.filter(pk=gift_id, status=S.PENDING_PAYMENT).update(
            status=S.AWAITING_RECIPIENT, paid_at=timezone.now(), expires_at=expires_at
        )
        == 1
    )


def abandon(gift_id: int) -> bool:
    return (
        Gift.objects.filter(pk=gift_id, status=S.PENDING_PAYMENT).update(
            status=S.ABANDONED, finished_at=timezone.now()
        )
        == 1
    )


def claim_unit(gift_id: int, *, now: datetime | None = None) -> bool:
    """Take one unit if the gift is live, not past its deadline, and has one left.

    The last unit moves the gift to accepted in the same statement.
    """
    now = now or timezone.now()
    return (
        Gift.objects.filter(
            pk=gift_id,
            status=S.AWAITING_RECIPIENT,
            expires_at__gt=now,
            units_claimed__lt=F("quantity"),
        ).update(
            units_claimed=F("units_claimed") + 1,
            status=Case(
                When(quantity=F("units_claimed") + 1, then=Value(S.ACCEPTED)),
                default=Value(S.AWAITING_RECIPIENT),
            ),
            finished_at=Case(When(quantity=F("units_claimed") + 1, then=Value(now)), default=None),
        )
        == 1
    )


def unit_claimed(gift: Gift, *, now: datetime) -> None:
    """`gift` in memory as `claim_unit(gift.pk, now=now)` left it in the database, when
    other claims made since `gift` was read are not counted."""
    gift.units_claimed += 1
    if gift.units_claimed >= gift.quantity:
        gift.status, gift.finished_at = S.ACCEPTED, now


def finish(gift_id: int, target: str, *, require_unclaimed: bool = False) -> bool:
    """Close a live gift as declined, cancelled or expired (an expiry only once it is due)."""
    assert target in TERMINAL_AFTER_PAYMENT
    now = timezone.now()
    gifts = Gift.objects.filter(pk=gift_id, status=S.AWAITING_RECIPIENT)
    if target == S.EXPIRED:
        gifts = gifts.filter(expires_at__lte=now)
    elif target == S.DECLINED:
        gifts = gifts.filter(expires_at__gt=now)
    if require_unclaimed:
        gifts = gifts.filter(units_claimed=0)
    return gifts.update(status=target, finished_at=now) == 1


def expire_locked(gift_ids: list[int]) -> int:
    """Expire gifts the caller has locked (`select_for_update`) and seen live and due."""
    return Gift.objects.filter(pk__in=gift_ids, status=S.AWAITING_RECIPIENT).update(
        status=S.EXPIRED, finished_at=timezone.now()
    )


def thank(claim_id: int, thanks: str) -> bool:
    """Record a recipient's thank-you note, once: a second note (or a racing one) loses."""
    return (
        GiftClaim.objects.filter(pk=claim_id, thanked_at__isnull=True).update(
            thanks=thanks, thanked_at=timezone.now()
        )
        == 1
    )


# --- Chip-in gifts --------------------------------------------------------------------
#
#   chip-in open ──paid in full before the deadline──▶ funded   (gift: funding → awaiting_recipient)
#        │
#     deadline / cancel ──▶ failed / cancelled                 (gift: funding → abandoned)
#
# Every change to one chip-in happens with its row locked (`select_for_update`) by the
# caller: a payment arriving, the deadline sweep, a cancel. So the last share and the
# deadline cannot both win, and shares are taken by compare-and-set on `reserved`.

C = ChipIn.Status
CS = Contribution.Status


def take_share(chip_in_id: int, amount: Decimal) -> bool:
    """Reserve `amount` if the chip-in is open, before its deadline, and has that much left."""
    return (
        ChipIn.objects.filter(
            pk=chip_in_id,
            status=C.OPEN,
            deadline__gt=timezone.now(),
            reserved__lte=F("target") - amount,
        ).update(reserved=F("reserved") + amount)
        == 1
    )


def share_paid(contribution_id: int) -> bool:
    """A pending share's payment arrived: it counts (the chip-in must be open and locked)."""
    contribution = Contribution.objects.filter(pk=contribution_id, status=CS.PENDING).first()
    if contribution is None:
        return False
    won = Contribution.objects.filter(pk=contribution_id, status=CS.PENDING).update(
        status=CS.PAID, paid_at=timezone.now()
    )
    if won:
        ChipIn.objects.filter(pk=contribution.chip_in_id, status=C.OPEN).update(
            paid=F("paid") + contribution.amount
        )
    return bool(won)


def release_share(contribution_id: int) -> bool:
    """A share never paid gives its amount back to the chip-in (an open one) to take again."""
    contribution = Contribution.objects.filter(pk=contribution_id, status=CS.PENDING).first()
    if contribution is None:
        return False
    won = Contribution.objects.filter(pk=contribution_id, status=CS.PENDING).update(
        status=CS.RELEASED
    )
    if won:
        ChipIn.objects.filter(pk=contribution.chip_in_id, status=C.OPEN).update(
            reserved=F("reserved") - contribution.amount
        )
    return bool(won)


def share_refunded(contribution_id: int) -> bool:
    return (
        Contribution.objects.filter(pk=contribution_id, status=CS.PAID).update(status=CS.REFUNDED)
        == 1
    )


def fund(chip_in_id: int, gift_id: int, *, payment_id: int, expires_at: datetime) -> bool:
    """Paid in full before the deadline: the gift goes live with its claim window.

    The gift's orders need one payment of record: the share that completed the funding.
    """
    now = timezone.now()
    won = ChipIn.objects.filter(
        pk=chip_in_id, status=C.OPEN, paid=F("target"), deadline__gt=now
    ).update(status=C.FUNDED, closed_at=now)
    if won:
        updated = Gift.objects.filter(pk=gift_id, status=S.FUNDING).update(
            status=S.AWAITING_RECIPIENT, payment_id=payment_id, paid_at=now, expires_at=expires_at
        )
        assert updated == 1, f"gift {gift_id} of chip-in {chip_in_id} was not funding"
    return bool(won)


def close_unfunded(chip_in_id: int, gift_id: int, target: str) -> bool:
    """Not funded by the deadline (failed: only once it is due), or cancelled while open."""
    assert target in (C.FAILED, C.CANCELLED)
    now = timezone.now()
    chip_ins = ChipIn.objects.filter(pk=chip_in_id, status=C.OPEN)
    if target == C.FAILED:
        chip_ins = chip_ins.filter(deadline__lte=now)
    won = chip_ins.update(status=target, closed_at=now)
    if won:
        Gift.objects.filter(pk=gift_id, status=S.FUNDING).update(
            status=S.ABANDONED, finished_at=now
        )
    return bool(won)
