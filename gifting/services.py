"""Writes for gifts: send, pay, claim, decline, cancel, expire, remind, refund, thank.

Money and stock follow the gift's state, never the other way round: every path that
closes a live gift (decline, cancel, expire) first wins the compare-and-set in
`gifting.state`, then releases the unclaimed units' stock and refunds them under one
idempotency key per gift (`gift-<id>-unclaimed`). Since only one path can win, and the
key is the same whichever wins, a gift is refunded once.
"""

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, DecimalField, F, Value, When
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from shop.accounts.models import User
from shop.catalogue import stock
from shop.catalogue.models import Sku, StockRecord
from shop.core import jobs
from shop.core.errors import DomainError
from shop.core.money import format_cny
from shop.notices import services as notices
from shop.orders import services as orders
from shop.orders.models import Order
from shop.payments import services as payments
from shop.payments.models import Payment, Refund
from shop.privacy import consent
from shop.webhooks import events

from . import changes, selectors, state, tokens
from .chipin import selectors as chipin_selectors
from .models import MAX_UNITS, MESSAGE_MAX_LENGTH, THANKS_MAX_LENGTH, Gift, GiftClaim, GiftEvent

logger = logging.getLogger(__name__)
S = Gift.Status
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class GiftError(DomainError):
    """A gift action that cannot happen; the message is for the person who tried."""

    code = "gift-refused"


def refund_key(gift_id: int) -> str:
    """The one idempotency key of a gift's unclaimed units, whichever path closes it."""
    return f"gift-{gift_id}-unclaimed"


def _event(gift_id: int, kind: str, note: str = "") -> None:
    GiftEvent.objects.create(gift_id=gift_id, kind=kind, note=note)


# --- Telling people ------------------------------------------------------------------------
# Notices are plain data, written with the change. What the sender is told never holds the
# recipient's name, address or phone; the recipient is texted only with their consent.


def _title(product: object, language: str) -> str:
    with translation.override(language):
        return product.display_title


def _sender_context(gift: Gift, sender: User, **extra: object) -> dict:
    return {
        "gift_id": gift.pk,
        "product": _title(gift.sku.product, sender.language),
        "units": gift.quantity,
        "gift_url": settings.SITE_URL + reverse("gifting:sent_detail", args=[gift.pk]),
        **extra,
    }


def _tell_sender(gift: Gift, kind: str, key: str, **extra: object) -> None:
    if gift.sender_id is not None:
        notices.notify_user(
            kind=kind,
            key=key,
            user=gift.sender,
            context=_sender_context(gift, gift.sender, **extra),
        )


def _tell_senders(kind: str, items: list[tuple[str, int, dict]]) -> None:
    """For a batch of gifts: (key, gift id, extra context) each, in fixed statements."""
    gifts = Gift.objects.select_related("sender", "sku__product").in_bulk(
        [gift_id for _, gift_id, _ in items]
    )
    notices.notify_users(
        kind=kind,
        items=[
            (
                key,
                gifts[gift_id].sender,
                _sender_context(gifts[gift_id], gifts[gift_id].sender, **extra),
            )
            for key, gift_id, extra in items
            if gifts[gift_id].sender_id is not None
        ],
    )


def _text_recipient(claim: GiftClaim, kind: str, **extra: object) -> None:
    if claim.sms_consent:
        notices.notify_phone(
            kind=kind,
            key=f"claim-{claim.pk}-{kind}",
            phone=claim.phone,
            language=claim.language,
            context={
                "product": _title(claim.sku.product, claim.language),
                "sender_name": claim.gift.sender_name,
                "tracking_url": selectors.tracking_url(claim),
                **extra,
            },
        )


def reminder_context(context: dict) -> dict | None:
    """At send time: the share link (never stored), or None once the gift is not live."""
    gift = Gift.objects.filter(pk=context["gift_id"]).first()
    if gift is None or not gift.is_live:
        return None
    return {**context, "claim_url": selectors.claim_url(gift)}


def gift_order_changed(order: Order, change: str, *, refund: Refund | None = None) -> None:
    """Order handler (in the order's transaction) for an accepted gift's order: the sender
    hears of the parcel (carrier and tracking, never where it goes), the recipient is
    texted the shipment if they agreed to texts."""
    claim = (
        GiftClaim.objects.select_related(
            "gift__sender", "gift__sku__product", "sku__product", "order"
        )
        .filter(order_id=order.pk)
        .first()
    )
    if claim is None:
        return
    shipment = {"carrier": claim.order.carrier, "tracking_number": claim.order.tracking_number}
    if change == "ship":
        _tell_sender(claim.gift, "gift_shipped", f"order-{order.pk}-shipped", **shipment)
        _text_recipient(claim, "gift_shipped_recipient", **shipment)
    elif change == "complete":
        _tell_sender(claim.gift, "gift_delivered", f"order-{order.pk}-delivered")
    elif change == "refund" and refund is not None:  # the money is the payer's
        kind = (
            "gift_difference_refunded"
            if changes.is_difference(refund.idempotency_key)
            else "gift_refunded"
        )
        _tell_sender(
            claim.gift,
            kind,
            f"refund-{refund.pk}",
            amount=format_cny(refund.amount),
            variant=claim.sku.label,
        )


# --- Sending ---------------------------------------------------------------------------


def gift_create(
    *,
    sender: object | None,
    sku_id: int,
    quantity: int,
    message: str,
    sender_name: str,
    allow_variant_choice: bool,
    language: str,
    partner: object | None = None,
    gateway: str | None = None,
    sku: Sku | None = None,
    prepaid: bool = False,
) -> Gift:
    """Create the gift, reserve its units' stock and open its payment, all or nothing.

    `sku` is the SKU `sku_id` names, if the caller already read it in this request (the
    same rules are checked on it). A `prepaid` gift (a partner's, `partner`) is born live:
    the caller charges its balance in the same transaction and marks the payment
    succeeded (`payments.payment_mark_succeeded`). Statements: the stock's UPDATE and one
    INSERT each for the payment, the gift and its events.
    """
    sku, message, sender_name = gift_input_clean(
        sku_id=sku_id, quantity=quantity, message=message, sender_name=sender_name, sku=sku
    )
    amount = sku.price * quantity
    now = timezone.now()
    # No savepoint of its own (a partner's gift is made inside the charge's transaction),
    # so a refusal is raised out of the block, which has then written nothing.
    with transaction.atomic(savepoint=False):
        reserved = stock.reserve(sku_id=sku.pk, quantity=quantity)
        if reserved:
            payment = payments.payment_create(
                purpose=Payment.Purpose.GIFT,
                amount=amount,
                user=sender,
                description=_("Gift: %(title)s") % {"title": sku.product.title},
                gateway=gateway,
            )
            salt = tokens.new_salt()
            gift = Gift(
                sender=sender,
                partner=partner,
                sku=sku,
                quantity=quantity,
                unit_price=sku.price,
                amount=amount,
                message=message,
                sender_name=sender_name[:30],
                allow_variant_choice=allow_variant_choice,
                token_salt=salt,
                token_hash=tokens.token_hash(tokens.token_for(salt)),
                payment=payment,
                language=language,
            )
            if prepaid:  # born paid: the link goes live for the accept window at once
                gift.status = S.AWAITING_RECIPIENT
                gift.paid_at = now
                gift.expires_at = now + timedelta(seconds=settings.GIFT_ACCEPT_WINDOW_SECONDS)
            gift.save(force_insert=True)
            kinds = [GiftEvent.Kind.CREATED] + ([GiftEvent.Kind.PAID] if prepaid else [])
            GiftEvent.objects.bulk_create(GiftEvent(gift_id=gift.pk, kind=kind) for kind in kinds)
    if not reserved:
        raise GiftError(_("Sorry, there are not enough of this item left."))
    return gift


def gift_input_clean(
    *, sku_id: int, quantity: int, message: str, sender_name: str, sku: Sku | None = None
) -> tuple[Sku, str, str]:
    """The rules every gift's input follows, however it is paid: the SKU, the message and
    the sender's name, cleaned (a plain gift's and a chip-in's alike). `sku`: the SKU
    `sku_id` names, already read with its product, category and merchant."""
    if sku is None or sku.pk != sku_id:
        sku = (
            Sku.objects.select_related("product__category__parent", "product__merchant")
            .filter(pk=sku_id)
            .first()
        )
    if sku is None or not sku.is_active or not selectors.product_is_giftable(sku.product):
        raise GiftError(_("This item cannot be sent as a gift."))
    if sku.price > settings.GIFT_MAX_UNIT_PRICE:
        raise GiftError(
            _("Gifts can cost at most %(price)s each.")
            % {"price": format_cny(settings.GIFT_MAX_UNIT_PRICE)}
        )
    if not 1 <= quantity <= MAX_UNITS:
        raise GiftError(_("Send between 1 and %(max)d units.") % {"max": MAX_UNITS})
    message = text_clean(message)
    if len(message) > MESSAGE_MAX_LENGTH:
        raise GiftError(
            _("The message can have at most %(max)d characters.") % {"max": MESSAGE_MAX_LENGTH}
        )
    sender_name = text_clean(sender_name)
    if not sender_name:
        raise GiftError(_("Say who the gift is from."))
    return sku, message, sender_name


def text_clean(text: str | None) -> str:
    """Plain text as people typed it, without control characters or outer spaces."""
    return _CONTROL.sub("", text or "").strip()


def gift_reserve_stock(sku_id: int, quantity: int) -> None:
    """Take the gift's units from stock (inside the caller's transaction), or refuse."""
    if not stock.reserve(sku_id=sku_id, quantity=quantity):
        raise GiftError(_("Sorry, there are not enough of this item left."))


def gift_release_stock(sku_id: int, quantity: int) -> None:
    """Give a gift's units back to stock (it will not ship)."""
    stock.release(sku_id=sku_id, quantity=quantity)


def gift_payment_succeeded(payment: Payment) -> None:
    """Payment handler: the link goes live for the accept window.

    If the payment arrives after the gift was abandoned (not paid in time, stock released),
    the money goes straight back.
    """
    gift = Gift.objects.filter(payment=payment).first()
    if gift is None:  # a retried gift's old payment succeeding late: give it all back
        payments.refund_create(
            payment=payment,
            amount=payment.amount,
            subject=f"payment:{payment.pk}",
            idempotency_key=f"orphan-{payment.reference}",
            reason="Paid after the gift moved to another payment",
        )
        return
    expires_at = timezone.now() + timedelta(seconds=settings.GIFT_ACCEPT_WINDOW_SECONDS)
    if state.mark_paid(gift.pk, expires_at=expires_at):
        _event(gift.pk, GiftEvent.Kind.PAID)
        return
    logger.warning("Payment %s arrived for %s gift %s", payment.reference, gift.status, gift.pk)
    payments.refund_create(
        payment=payment,
        amount=payment.amount,
        subject=f"gift:{gift.pk}",
        subject_limit=gift.amount,
        idempotency_key=refund_key(gift.pk),
        reason="Paid after the gift was abandoned",
    )


def gifts_abandon_unpaid() -> int:
    """Gifts not paid within ORDER_PAYMENT_TIMEOUT_SECONDS give their stock back (a payment
    arriving later is refunded by `gift_payment_succeeded`)."""
    cutoff = timezone.now() - timedelta(seconds=settings.ORDER_PAYMENT_TIMEOUT_SECONDS)
    due = (
        Gift.objects.filter(status=S.PENDING_PAYMENT, created_at__lt=cutoff)
        .exclude(pk__in=jobs.held_back(ABANDON_JOB))
        .values_list("pk", "sku_id", "quantity")[:500]
    )
    return jobs.run_each(ABANDON_JOB, list(due), _abandon, key=lambda row: row[0])


def _abandon(row: tuple[int, int, int]) -> bool:
    gift_id, sku_id, quantity = row
    if not state.abandon(gift_id):
        return False
    stock.release(sku_id=sku_id, quantity=quantity)
    _event(gift_id, GiftEvent.Kind.ABANDONED)
    payments.payment_close(payment=Gift.objects.select_related("payment").get(pk=gift_id).payment)
    return True


# --- Claiming --------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    recipient_name: str
    phone: str
    province: str
    city: str
    district: str
    street: str
    postcode: str = ""


def _closed_message(gift: Gift) -> str:
    return {
        S.ACCEPTED: _("This gift has already been accepted."),
        S.DECLINED: _("This gift was declined."),
        S.CANCELLED: _("The sender cancelled this gift."),
        S.EXPIRED: _("This gift expired: it was not accepted in time."),
    }.get(gift.status, _("This gift is not available."))


def gift_claim(
    *,
    gift: Gift,
    recipient: Recipient,
    sku_id: int | None,
    user: object | None,
    sms_consent: bool = False,
    language: str = settings.LANGUAGE_CODE,
) -> GiftClaim:
    """Accept one unit: the chosen variant ships to the recipient's address.

    One transaction: the unit (compare-and-set), the variant's stock, the merchant's
    order, the claim row and the notices (the sender's; the recipient's tracking link by
    text if `sms_consent`, in `language`). Any refusal leaves nothing behind. `gift` is
    read with what a claim uses (`selectors.gift_by_token`) and is left as this claim
    made it, without reading it back.
    """
    if user is not None and gift.sender_id is not None and user.pk == gift.sender_id:
        raise GiftError(_("You cannot accept a gift you sent."))
    sku = _claimable_sku(gift, sku_id)
    now = timezone.now()
    with transaction.atomic():
        if not state.claim_unit(gift.pk, now=now):
            gift.refresh_from_db()
            if gift.status == S.AWAITING_RECIPIENT and gift.expires_at <= timezone.now():
                raise GiftError(_("This gift expired: it was not accepted in time."))
            raise GiftError(_closed_message(gift))
        if sku.pk != gift.sku_id:
            # Lock both stock rows in SKU order, so opposite swaps cannot deadlock.
            list(
                StockRecord.objects.select_for_update()
                .filter(sku_id__in=[sku.pk, gift.sku_id])
                .order_by("sku_id")
            )
            if not stock.reserve(sku_id=sku.pk, quantity=1):
                raise GiftError(_("Sorry, that variant just sold out. Please choose another."))
            stock.release(sku_id=gift.sku_id, quantity=1)
        order = orders.order_create_paid(
            user=user,
            payment_id=gift.payment_id,
            sku=sku,
            unit_price=gift.unit_price,
            address=recipient.__dict__,
            language=gift.language,
            note=gettext_noop("Gift accepted"),
        )
        try:  # no savepoint: the refusal rolls back this whole transaction anyway
            claim = GiftClaim.objects.create(
                gift=gift,
                user=user,
                sku=sku,
                order=order,
                sms_consent=sms_consent,
                language=language,
                **recipient.__dict__,
            )
        except IntegrityError as error:
            raise GiftError(_("This phone number has already accepted this gift.")) from error
        _event(gift.pk, GiftEvent.Kind.ACCEPTED)
        _tell_sender(gift, "gift_accepted", f"claim-{claim.pk}-accepted")
        _text_recipient(claim, "gift_tracking")
        # Accepting is consenting to the claim form's notice: this merchant gets the address.
        consent.consent_record(
            purpose=consent.Consent.Purpose.GIFT_CLAIM,
            user=user,
            claim=claim,
            merchant=gift.sku.product.merchant,
        )
        if gift.partner_id:
            events.report(events.GIFT_ACCEPTED, [gift.pk])
    state.unit_claimed(gift, now=now)
    return claim


def _claimable_sku(gift: Gift, sku_id: int | None) -> Sku:
    if sku_id is None or sku_id == gift.sku_id:
        return gift.sku
    if not gift.allow_variant_choice:
        raise GiftError(_("This gift's variant cannot be changed."))
    sku = Sku.objects.filter(
        pk=sku_id, product_id=gift.sku.product_id, is_active=True, price__lte=gift.unit_price
    ).first()
    if sku is None:
        raise GiftError(_("Choose one of the variants offered."))
    return sku


# --- Thanks ----------------------------------------------------------------------------


def gift_thank(*, claim: GiftClaim, thanks: str) -> None:
    """The recipient's thank-you note to the sender, once per accepted unit.

    The text rules are the message's: control characters go, the rest is plain text.
    """
    thanks = _CONTROL.sub("", thanks or "").strip()
    if not thanks:
        raise GiftError(_("Write a few words of thanks."))
    if len(thanks) > THANKS_MAX_LENGTH:
        raise GiftError(
            _("The thank-you note can have at most %(max)d characters.")
            % {"max": THANKS_MAX_LENGTH}
        )
    with transaction.atomic():
        if not state.thank(claim.pk, thanks):
            raise GiftError(_("You have already sent your thanks."))
        _event(claim.gift_id, GiftEvent.Kind.THANKED, thanks)
        _tell_sender(claim.gift, "gift_thanked", f"claim-{claim.pk}-thanked", thanks=thanks)
        if claim.gift.partner_id:
            events.report(events.GIFT_THANKED, [claim.gift_id])
    claim.refresh_from_db()


# --- Closing a live gift ----------------------------------------------------------------


WEBHOOK_EVENTS = {
    GiftEvent.Kind.DECLINED: events.GIFT_DECLINED,
    GiftEvent.Kind.CANCELLED: events.GIFT_CANCELLED,
}


def _close(gift: Gift, target: str, kind: str, *, require_unclaimed: bool = False) -> bool:
    """Win the compare-and-set, then give back stock and money for the unclaimed units."""
    with transaction.atomic():
        if not state.finish(gift.pk, target, require_unclaimed=require_unclaimed):
            return False
        gift.refresh_from_db()
        if gift.units_left:
            stock.release(sku_id=gift.sku_id, quantity=gift.units_left)
            _refund_unclaimed(gift)
        _event(gift.pk, kind)
        if kind == GiftEvent.Kind.DECLINED:
            _tell_sender(gift, "gift_declined", f"gift-{gift.pk}-declined")
        if gift.partner_id:
            events.report(WEBHOOK_EVENTS[kind], [gift.pk])
    return True


def _refund_unclaimed(gift: Gift) -> Refund | None:
    chip_in_refunds = chipin_selectors.refund_specs([gift.pk])
    if chip_in_refunds:  # a chip-in gift goes back to each contributor's own payment
        payments.refunds_create(chip_in_refunds[gift.pk])
        return None
    return payments.refund_create(
        payment=gift.payment,
        amount=gift.unit_price * gift.units_left,
        subject=f"gift:{gift.pk}",
        subject_limit=gift.amount,
        idempotency_key=refund_key(gift.pk),
        reason=f"{gift.units_left} unclaimed",
    )


def gift_decline(*, gift: Gift, user: object | None = None) -> None:
    """The recipient says no, thanks: a one-person gift is refunded at once.

    For a group gift a decline takes nothing: the units stay for the others.
    """
    if user is not None and user.pk == gift.sender_id:
        raise GiftError(_("You cannot decline a gift you sent."))
    if gift.is_group:
        return
    if not _close(gift, S.DECLINED, GiftEvent.Kind.DECLINED, require_unclaimed=True):
        gift.refresh_from_db()
        raise GiftError(_closed_message(gift))


def gift_cancel(*, gift: Gift) -> None:
    """The sender takes back a gift not (fully) accepted; unclaimed units are refunded."""
    if not _close(gift, S.CANCELLED, GiftEvent.Kind.CANCELLED):
        gift.refresh_from_db()
        raise GiftError(_closed_message(gift))


EXPIRY_JOB = jobs.define(
    "gifting.expire", gettext_noop("Expire gifts past their deadline"), model="gifting.gift"
)
REMINDER_JOB = jobs.define(
    "gifting.remind", gettext_noop("Remind senders before expiry"), model="gifting.gift"
)
ABANDON_JOB = jobs.define(
    "gifting.abandon", gettext_noop("Give back stock of unpaid gifts"), model="gifting.gift"
)


def gifts_expire_due(*, batch: int = 500) -> int:
    """The beat sweep: expire every live gift past its deadline, in batches.

    Due rows are locked with SKIP LOCKED, so several workers share the work without
    waiting on each other, and a claim holding a row's lock is simply skipped this round
    (the claim's own deadline check stops it if it is late). Each batch costs a fixed
    number of statements: stock is released per SKU, refunds and events are bulk-inserted.
    Refunds are then executed by tasks; the stuck-refund sweep covers a lost publish.

    No gift stops the others: a batch that fails is rolled back and redone one gift at a
    time, so the good ones expire and the bad one is retried with backoff, then parked
    for operators (`shop.core.jobs`).
    """
    total = 0
    while True:
        ids: list[int] = []
        try:
            with transaction.atomic():
                due = _lock_due(batch)
                ids = [g["pk"] for g in due]
                _expire_locked(due)
        except Exception as error:
            if not ids:
                raise
            logger.warning("Expiring %s gifts failed (%s); one at a time", len(ids), error)
            done = jobs.run_each(
                EXPIRY_JOB, ids, lambda pk: _expire_locked(_lock_due(1, pk=pk)), key=int
            )
        else:
            if not ids:
                return total
            jobs.succeeded(EXPIRY_JOB, ids)
            done = len(ids)
        total += done
        if len(ids) < batch:
            return total


def _lock_due(batch: int, *, pk: int | None = None) -> list[dict]:
    gifts = Gift.objects.filter(status=S.AWAITING_RECIPIENT, expires_at__lte=timezone.now())
    gifts = (
        gifts.filter(pk=pk) if pk is not None else gifts.exclude(pk__in=jobs.held_back(EXPIRY_JOB))
    )
    return list(
        gifts.select_for_update(skip_locked=True)
        .order_by("expires_at")
        .values(
            "pk",
            "sku_id",
            "quantity",
            "units_claimed",
            "unit_price",
            "amount",
            "payment_id",
            "partner_id",
        )[:batch]
    )


def _expire_locked(due: list[dict]) -> int:
    """Expire locked, due gifts: stock back per SKU, one refund each for the unclaimed units."""
    if not due:
        return 0
    state.expire_locked([g["pk"] for g in due])
    released: dict[int, int] = {}
    refunds = []
    chip_in_refunds = chipin_selectors.refund_specs([g["pk"] for g in due])
    for g in due:
        left = g["quantity"] - g["units_claimed"]
        if left:
            released[g["sku_id"]] = released.get(g["sku_id"], 0) + left
        if left and g["pk"] in chip_in_refunds:
            refunds.extend(chip_in_refunds[g["pk"]])
        elif left:
            refunds.append(
                payments.RefundSpec(
                    payment_id=g["payment_id"],
                    amount=g["unit_price"] * left,
                    subject=f"gift:{g['pk']}",
                    subject_limit=g["amount"],
                    idempotency_key=refund_key(g["pk"]),
                    reason=f"{left} unclaimed",
                )
            )
    for sku_id, quantity in sorted(released.items()):  # SKU order: no deadlocks
        stock.release(sku_id=sku_id, quantity=quantity)
    payments.refunds_create(refunds)
    GiftEvent.objects.bulk_create(
        GiftEvent(gift_id=g["pk"], kind=GiftEvent.Kind.EXPIRED) for g in due
    )
    _tell_senders("gift_expired", [(f"gift-{g['pk']}-expired", g["pk"], {}) for g in due])
    sent_by_partners = [g["pk"] for g in due if g["partner_id"]]
    if sent_by_partners:
        events.report(events.GIFT_EXPIRED, sent_by_partners)
    return len(due)


def gifts_refunds_succeeded(refunds: list[Refund]) -> None:
    """Refund handler (in the settling transaction): the money is back on each gift.

    Built for the expiry sweep's batches: one UPDATE for all the gifts, one insert for
    all the events, and the senders' notices in fixed statements.
    """
    pairs = []
    back: dict[int, Decimal] = {}
    for refund in refunds:
        gift_id = int(refund.subject.partition(":")[2])
        back[gift_id] = back.get(gift_id, Decimal("0")) + refund.amount
        pairs.append((gift_id, refund.pk))
    amount = Gift._meta.get_field("refunded_amount")
    Gift.objects.filter(pk__in=back).update(
        refunded_amount=F("refunded_amount")
        + Case(
            *(When(pk=gift_id, then=Value(total)) for gift_id, total in back.items()),
            output_field=DecimalField(max_digits=amount.max_digits, decimal_places=2),
        )
    )
    GiftEvent.objects.bulk_create(
        GiftEvent(gift_id=gift_id, kind=GiftEvent.Kind.REFUNDED, note=format_cny(refund.amount))
        for (gift_id, _), refund in zip(pairs, refunds, strict=True)
    )
    events.report(events.GIFT_REFUNDED, [gift_id for gift_id, _ in pairs])
    _tell_senders(
        "gift_refunded",
        [
            (f"refund-{refund.pk}", gift_id, {"amount": format_cny(refund.amount)})
            for (gift_id, _), refund in zip(pairs, refunds, strict=True)
        ],
    )


def gifts_send_reminders() -> int:
    """Remind senders, once, that a gift is about to expire (so they share the link again)."""
    now = timezone.now()
    due = (
        Gift.objects.filter(
            status=S.AWAITING_RECIPIENT,
            reminder_sent_at__isnull=True,
            expires_at__gt=now,
            expires_at__lte=now + timedelta(seconds=settings.GIFT_REMINDER_BEFORE_SECONDS),
        )
        .exclude(pk__in=jobs.held_back(REMINDER_JOB))
        .values_list("pk", flat=True)[:500]
    )
    return jobs.run_each(REMINDER_JOB, list(due), _remind, key=int)


def _remind(gift_id: int) -> bool:
    won = Gift.objects.filter(pk=gift_id, reminder_sent_at__isnull=True).update(
        reminder_sent_at=timezone.now()
    )
    if won:
        _event(gift_id, GiftEvent.Kind.REMINDED)
        gift = Gift.objects.select_related("sender", "sku__product").get(pk=gift_id)
        expires = timezone.localtime(gift.expires_at).strftime("%Y-%m-%d %H:%M")
        _tell_sender(gift, "gift_reminder", f"gift-{gift_id}-reminder", expires_at=expires)
    return bool(won)


def gift_payment_retry(*, gift: Gift) -> Payment:
    """A declined payment cannot be confirmed again: give the unpaid gift a fresh one."""
    if gift.payment.status != Payment.Status.FAILED:
        return gift.payment
    with transaction.atomic():
        retry = payments.payment_create(
            purpose=Payment.Purpose.GIFT,
            amount=gift.amount,
            user=gift.sender,
            description=gift.payment.description,
        )
        moved = Gift.objects.filter(
            pk=gift.pk, status=S.PENDING_PAYMENT, payment_id=gift.payment_id
        ).update(payment=retry)
        if not moved:
            raise GiftError(_("This gift can no longer be paid."))
    gift.refresh_from_db()
    return retry
