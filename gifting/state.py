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

from django.db.models import Case, F, Value, When
from django.utils import timezone

from .models import Gift, GiftClaim

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


def claim_unit(gift_id: int) -> bool:
    """Take one unit if the gift is live, not past its deadline, and has one left.

    The last unit moves the gift to accepted in the same statement.
    """
    now = timezone.now()
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
