"""The order state machine: the only place an order's status changes.

Every transition is one compare-and-set UPDATE (`… WHERE status IN (sources)`), so two
requests racing for the same order (pay vs cancel, two refunds) have exactly one winner;
the loser's UPDATE matches no row and it learns that from the return value.

    pending_payment ─pay──▶ paid ─ship──▶ shipped ─complete──▶ completed
          │                  │               │                     │
        cancel               └──────── refund (partial or full) ───┘
          ▼                                   ▼
      cancelled                 partially_refunded ─▶ refunded

A gift recipient's change request (`ChangeRequest`) moves the same way, once:

    pending ─approve / reject (the merchant)──▶ approved / rejected
       └────time out (the clock)──▶ expired (a variant) / approved (an address)
"""

from decimal import Decimal

from django.db.models import Case, F, Value, When
from django.utils import timezone

from .models import ChangeRequest, Order, OrderEvent

S = Order.Status
REFUNDABLE = frozenset({S.PAID, S.SHIPPED, S.COMPLETED, S.PARTIALLY_REFUNDED})

TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "pay": (frozenset({S.PENDING_PAYMENT}), S.PAID, OrderEvent.Kind.PAID),
    "cancel": (frozenset({S.PENDING_PAYMENT}), S.CANCELLED, OrderEvent.Kind.CANCELLED),
    # A partly refunded order still ships (the rest of it) and is still delivered.
    "ship": (frozenset({S.PAID, S.PARTIALLY_REFUNDED}), S.SHIPPED, OrderEvent.Kind.SHIPPED),
    "complete": (
        frozenset({S.SHIPPED, S.PARTIALLY_REFUNDED}),
        S.COMPLETED,
        OrderEvent.Kind.COMPLETED,
    ),
}

# Conditions besides the status: fulfilment happens once, in order.
GUARDS: dict[str, dict[str, object]] = {
    "ship": {"shipped_at__isnull": True},
    "complete": {"shipped_at__isnull": False, "delivered_at__isnull": True},
}

TIMESTAMPS = {
    "pay": "paid_at",
    "cancel": "cancelled_at",
    "ship": "shipped_at",
    "complete": "delivered_at",
}


def transition(order_id: int, action: str, *, note: str = "", **fields: object) -> bool:
    """Move the order along `action` if it is in a source state; False if it was not.

    `fields` are written in the same UPDATE (a shipment's carrier and tracking number).
    Call inside the caller's transaction so the event row commits with the change.
    """
    sources, target, event = TRANSITIONS[action]
    changes: dict[str, object] = {"status": target, **fields}
    if action in TIMESTAMPS:
        changes[TIMESTAMPS[action]] = timezone.now()
    orders = Order.objects.filter(pk=order_id, status__in=sources, **GUARDS.get(action, {}))
    won = orders.update(**changes) == 1
    if won:
        OrderEvent.objects.create(order_id=order_id, kind=event, note=note)
    return won


def born(order: Order, action: str) -> OrderEvent:
    """Set up an unsaved order as if created and then moved along `action` (a gift's
    order is born paid: the money was taken when the gift was sent); returns the event
    to write with it. One INSERT instead of an INSERT and a compare-and-set UPDATE,
    which nothing else could race with before the row exists."""
    sources, target, event = TRANSITIONS[action]
    if order.pk is not None or order.status not in sources:
        raise ValueError(f"An order is born along {action!r} only from {sorted(sources)}.")
    order.status = target
    setattr(order, TIMESTAMPS[action], timezone.now())
    return OrderEvent(order=order, kind=event)


def record_refund(order_id: int, amount: Decimal, *, note: str = "") -> bool:
    """Add a refunded amount: the order becomes refunded when all of it is back.

    The guard `refunded_amount + amount <= total` is part of the UPDATE, so concurrent
    refunds can never together exceed what the order cost.
    """
    remaining = F("total") - F("refunded_amount")
    updated = (
        Order.objects.filter(pk=order_id, status__in=REFUNDABLE)
        .alias(remaining=remaining)
        .filter(remaining__gte=amount)
        .update(
            refunded_amount=F("refunded_amount") + amount,
            status=Case(
                When(total=F("refunded_amount") + amount, then=Value(S.REFUNDED)),
                default=Value(S.PARTIALLY_REFUNDED),
            ),
        )
    )
    if updated:
        status = Order.objects.values_list("status", flat=True).get(pk=order_id)
        kind = (
            OrderEvent.Kind.REFUNDED if status == S.REFUNDED else OrderEvent.Kind.PARTIALLY_REFUNDED
        )
        OrderEvent.objects.create(order_id=order_id, kind=kind, note=note)
    return updated == 1


CR = ChangeRequest.Status
AWAITING_SHIPMENT = frozenset({S.PAID, S.PARTIALLY_REFUNDED})


def decide_change(
    request_id: int, target: str, *, note: str = "", by_timeout: bool = False
) -> bool:
    """Answer a pending change request; False if it was answered already (or is not due,
    for the clock). One UPDATE, so the merchant and the sweep racing have one winner."""
    requests = ChangeRequest.objects.filter(pk=request_id, status=CR.PENDING)
    if by_timeout:
        requests = requests.filter(due_at__lte=timezone.now())
    return (
        requests.update(
            status=target, decided_at=timezone.now(), by_timeout=by_timeout, decision_note=note
        )
        == 1
    )
