"""Changes before shipping: a gift's recipient asks for another variant or address.

WeChat 送礼物's rules (2025): once the gift is accepted and until the parcel ships, the
recipient may ask once for another variant of the same product (never a dearer one) and
up to GIFT_ADDRESS_CHANGE_LIMIT times for another address. The merchant approves or
rejects; unanswered, a variant change is rejected after GIFT_VARIANT_CHANGE_ANSWER_SECONDS
and an address change approved after GIFT_ADDRESS_CHANGE_ANSWER_SECONDS (the beat sweep).
While a request is pending the order does not ship (`orders.services.order_ship`).

Every path locks the order's row first, then answers the request by compare-and-set
(`orders.state.decide_change`), so the merchant, the sweep and a shipment never act on
the same order at once and a request is answered once. Stock moves only on approval;
a cheaper variant's difference goes back to the sender, who paid, under one refund key
per request.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from shop.catalogue import stock
from shop.catalogue.models import Sku, StockRecord
from shop.core import jobs
from shop.core.errors import DomainError
from shop.core.money import format_cny
from shop.orders import services as orders
from shop.orders import state
from shop.orders.models import ChangeRequest, Order, OrderEvent, OrderLine
from shop.payments import services as payments
from shop.webhooks import events

from .models import GiftClaim, GiftEvent

CR = ChangeRequest.Status
ADDRESS_FIELDS = orders.ADDRESS_FIELDS

WEBHOOK_EVENTS = {
    CR.APPROVED: events.CHANGE_APPROVED,
    CR.REJECTED: events.CHANGE_REJECTED,
    CR.EXPIRED: events.CHANGE_EXPIRED,
}
# The order timeline's note, stored as its msgid (translated when shown, see OrderEvent).
NOTES = {
    ChangeRequest.Kind.VARIANT: gettext_noop("Another variant"),
    ChangeRequest.Kind.ADDRESS: gettext_noop("Another address"),
}
ORDER_EVENTS = {
    CR.APPROVED: OrderEvent.Kind.CHANGE_APPROVED,
    CR.REJECTED: OrderEvent.Kind.CHANGE_REJECTED,
    CR.EXPIRED: OrderEvent.Kind.CHANGE_EXPIRED,
}


class ChangeError(DomainError):
    """A change before shipping that cannot be asked for or answered now."""

    code = "change-refused"


class ChangeInvalid(ChangeError):
    """What was asked for is not acceptable (a dearer variant, the same address)."""

    code = "change-invalid"
    status = 422


@dataclass(frozen=True)
class ChangeOffer:
    """What the recipient may still ask for on one claim, for the page."""

    variants: list[Sku]
    can_change_variant: bool
    address_changes_left: int
    pending: ChangeRequest | None

    @property
    def can_change_address(self) -> bool:
        return self.pending is None and self.address_changes_left > 0


def refund_key(request_id: int) -> str:
    """The one idempotency key of a change's difference, however often it is approved."""
    return f"change-{request_id}-difference"


def is_difference(idempotency_key: str) -> bool:
    """Whether a refund is a change's difference (its key is one `refund_key` made)."""
    head, _, tail = idempotency_key.partition("-")
    number, _, rest = tail.partition("-")
    return head == "change" and number.isdigit() and rest == "difference"


def _lock_unshipped(order_id: int) -> Order | None:
    """The order, row-locked, if it still awaits shipping; None if it has shipped (or ended)."""
    return (
        Order.objects.select_for_update()
        .filter(pk=order_id, status__in=state.AWAITING_SHIPMENT, shipped_at__isnull=True)
        .first()
    )


def _address_changes_used(order_id: int) -> int:
    """Address changes that count against the limit: approved or still waiting."""
    return (
        ChangeRequest.objects.filter(order_id=order_id, kind=ChangeRequest.Kind.ADDRESS)
        .exclude(status=CR.REJECTED)
        .count()
    )


def cheaper_variants(claim: GiftClaim) -> list[Sku]:
    """The other variants of the product on sale at no more than what the sender paid."""
    return list(
        Sku.objects.filter(
            product_id=claim.sku.product_id,
            is_active=True,
            price__lte=claim.gift.unit_price,
            stock__quantity__gt=0,
        )
        .exclude(pk=claim.sku_id)
        .order_by("position", "pk")
    )


def change_offer(claim: GiftClaim) -> ChangeOffer | None:
    """What this claim's recipient may ask for now; None once the order has shipped."""
    order = claim.order
    if order.status not in state.AWAITING_SHIPMENT or order.shipped_at is not None:
        return None
    requests = list(order.change_requests.all())
    pending = next((r for r in requests if r.status == CR.PENDING), None)
    used = sum(
        1 for r in requests if r.kind == ChangeRequest.Kind.ADDRESS and r.status != CR.REJECTED
    )
    asked_variant = any(r.kind == ChangeRequest.Kind.VARIANT for r in requests)
    variants = [] if asked_variant else cheaper_variants(claim)
    return ChangeOffer(
        variants=variants,
        can_change_variant=pending is None and bool(variants),
        address_changes_left=max(0, settings.GIFT_ADDRESS_CHANGE_LIMIT - used),
        pending=pending,
    )


def _ask(order: Order, **fields: object) -> ChangeRequest:
    """Write the request on the locked order; the constraints catch what a check missed."""
    if order.change_requests.filter(status=CR.PENDING).exists():
        raise ChangeError(_("A change is already waiting for the shop's answer."))
    seconds = (
        settings.GIFT_VARIANT_CHANGE_ANSWER_SECONDS
        if fields["kind"] == ChangeRequest.Kind.VARIANT
        else settings.GIFT_ADDRESS_CHANGE_ANSWER_SECONDS
    )
    due_at = timezone.now() + timedelta(seconds=seconds)
    try:
        with transaction.atomic():
            request = ChangeRequest.objects.create(order=order, due_at=due_at, **fields)
    except IntegrityError as error:
        raise ChangeError(_("This change cannot be asked for again.")) from error
    OrderEvent.objects.create(
        order=order, kind=OrderEvent.Kind.CHANGE_REQUESTED, note=NOTES[request.kind]
    )
    events.report(events.CHANGE_REQUESTED, [request])
    return request


def variant_change_request(*, claim: GiftClaim, sku_id: int) -> ChangeRequest:
    """Ask, once, for another variant of the same product, at most what was paid."""
    gift = claim.gift
    sku = Sku.objects.filter(pk=sku_id, product_id=claim.sku.product_id, is_active=True).first()
    if sku is None or sku.pk == claim.sku_id:
        raise ChangeInvalid(_("Choose one of the other variants offered."))
    if sku.price > gift.unit_price:
        raise ChangeInvalid(_("Only a variant that costs no more than the gift can be chosen."))
    with transaction.atomic():
        order = _lock_unshipped(claim.order_id)
        if order is None:
            raise ChangeError(_("The parcel has left: nothing can be changed any more."))
        if order.change_requests.filter(kind=ChangeRequest.Kind.VARIANT).exists():
            raise ChangeError(_("The variant can be changed only once."))
        return _ask(
            order,
            kind=ChangeRequest.Kind.VARIANT,
            old_sku_id=claim.sku_id,
            new_sku=sku,
            refund_amount=max(Decimal("0.00"), order.total - order.refunded_amount - sku.price),
        )


def address_change_request(*, claim: GiftClaim, address: dict) -> ChangeRequest:
    """Ask for the parcel to go elsewhere, up to GIFT_ADDRESS_CHANGE_LIMIT times."""
    new = {field: str(address.get(field, "") or "").strip() for field in ADDRESS_FIELDS}
    missing = [f for f in ADDRESS_FIELDS if f != "postcode" and not new[f]]
    if missing:
        raise ChangeInvalid(_("Give the whole new address."))
    with transaction.atomic():
        order = _lock_unshipped(claim.order_id)
        if order is None:
            raise ChangeError(_("The parcel has left: nothing can be changed any more."))
        limit = settings.GIFT_ADDRESS_CHANGE_LIMIT
        if _address_changes_used(order.pk) >= limit:
            raise ChangeError(
                _("The address can be changed at most %(count)d times.") % {"count": limit}
            )
        old = {field: getattr(order, field) for field in ADDRESS_FIELDS}
        if new == old:
            raise ChangeInvalid(_("That is already where the parcel goes."))
        others = GiftClaim.objects.filter(gift_id=claim.gift_id, phone=new["phone"])
        if others.exclude(pk=claim.pk).exists():
            raise ChangeInvalid(_("This phone number has already accepted this gift."))
        return _ask(order, kind=ChangeRequest.Kind.ADDRESS, old_address=old, new_address=new)


# --- Answers ---------------------------------------------------------------------------


def change_approve(*, request: ChangeRequest, note: str = "") -> ChangeRequest:
    """The merchant approves: the change is made, stock moves, a difference is refunded."""
    return _answer(request.pk, CR.APPROVED, note=note)


def change_reject(*, request: ChangeRequest, note: str = "") -> ChangeRequest:
    """The merchant rejects: the order ships as it was."""
    return _answer(request.pk, CR.REJECTED, note=note)


def _answer(
    request_id: int, target: str, *, note: str = "", by_timeout: bool = False
) -> ChangeRequest:
    with transaction.atomic():
        request = ChangeRequest.objects.select_related("order").get(pk=request_id)
        order = _lock_unshipped(request.order_id)
        if not state.decide_change(request.pk, target, note=note[:200], by_timeout=by_timeout):
            raise ChangeError(_("This change was already answered."))
        if order is None:  # pending requests hold shipping back, so only a refund ends it
            raise ChangeError(_("The order no longer awaits shipping."))
        request.refresh_from_db()
        if target == CR.APPROVED:
            _apply(request, order)
        OrderEvent.objects.create(order=order, kind=ORDER_EVENTS[target], note=NOTES[request.kind])
        events.report(WEBHOOK_EVENTS[target], [request])
    return request


def _apply(request: ChangeRequest, order: Order) -> None:
    claim = GiftClaim.objects.select_for_update().get(order=order)
    if request.kind == ChangeRequest.Kind.ADDRESS:
        try:
            with transaction.atomic():
                Order.objects.filter(pk=order.pk).update(**request.new_address)
                GiftClaim.objects.filter(pk=claim.pk).update(**request.new_address)
        except IntegrityError as error:
            raise ChangeError(_("This phone number has already accepted this gift.")) from error
        return
    _swap_variant(request, order, claim)


def _swap_variant(request: ChangeRequest, order: Order, claim: GiftClaim) -> None:
    """One unit of the new variant taken, one of the old given back, the difference refunded."""
    new = Sku.objects.select_related("product__category").get(pk=request.new_sku_id)
    # Both stock rows locked in SKU order, as a claim does, so opposite swaps cannot deadlock.
    skus = sorted([request.old_sku_id, new.pk])
    list(StockRecord.objects.select_for_update().filter(sku_id__in=skus).order_by("sku_id"))
    if not stock.reserve(sku_id=new.pk, quantity=1):
        raise ChangeError(_("That variant has sold out: reject the change or restock first."))
    stock.release(sku_id=request.old_sku_id, quantity=1)
    line = OrderLine.objects.get(order=order)
    line.sku = new
    line.sku_label = new.label
    line.unit_price = new.price
    line.commission_rate = new.product.category.commission_rate
    line.save(update_fields=["sku", "sku_label", "unit_price", "commission_rate"])
    Order.objects.filter(pk=order.pk).update(commission=orders.commission_for([line]))
    GiftClaim.objects.filter(pk=claim.pk).update(sku=new)
    note = f"{request.old_sku.label or request.old_sku_id} → {new.label or new.pk}"
    if request.refund_amount:
        payments.refund_create(
            payment=order.payment,
            amount=request.refund_amount,
            subject=f"order:{order.pk}",
            subject_limit=order.total,
            idempotency_key=refund_key(request.pk),
            reason="Cheaper variant chosen before shipping",
        )
        note = f"{note}, {format_cny(request.refund_amount)}"
    GiftEvent.objects.create(gift_id=claim.gift_id, kind=GiftEvent.Kind.VARIANT_CHANGED, note=note)


# --- The clock ---------------------------------------------------------------------------


RESOLVE_JOB = jobs.define(
    "gifting.changes_due",
    gettext_noop("Answer changes the merchant left unanswered"),
    model="orders.changerequest",
)


def changes_resolve_due(*, limit: int = 500) -> int:
    """The beat sweep: unanswered variant changes expire, address changes are approved.

    Each request is answered in its own transaction, so one that fails (its variant sold
    out, say) is retried with backoff, then parked, and never holds up the others.
    """
    due = (
        ChangeRequest.objects.filter(status=CR.PENDING, due_at__lte=timezone.now())
        .exclude(pk__in=jobs.held_back(RESOLVE_JOB))
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    return jobs.run_each(RESOLVE_JOB, list(due), _resolve_due, key=int)


def _resolve_due(request_id: int) -> bool:
    kind = ChangeRequest.objects.values_list("kind", flat=True).get(pk=request_id)
    target = CR.APPROVED if kind == ChangeRequest.Kind.ADDRESS else CR.EXPIRED
    try:
        _answer(request_id, target, by_timeout=True)
    except ChangeError:
        if ChangeRequest.objects.filter(pk=request_id, status=CR.PENDING).exists():
            raise  # still waiting: the job retries it, then parks it for an operator
        return False  # the merchant answered meanwhile
    return True
