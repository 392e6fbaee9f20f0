"""Writes for chip-in gifts (一起送): start one, take and pay shares, fund it or give back.

A share is reserved when it is taken (compare-and-set on the chip-in's `reserved`, so a
share above what is left is refused before any payment exists), then paid through an
ordinary Payment. Each change to one chip-in runs with its row locked: a share's payment
arriving, the deadline sweep and a cancel take turns, so the last share and the deadline
have exactly one outcome. Money only ever goes back to the payment it came from, under
one key per share (`chipin:<contribution id>`), whichever path gives it back.
"""

import logging
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from shop.core import jobs
from shop.core.errors import DomainError
from shop.core.money import format_cny
from shop.notices import services as notices
from shop.payments import services as payments
from shop.payments.models import Payment, Refund
from shop.webhooks import events

from .. import services as gifting
from .. import state, tokens
from ..models import DISPLAY_NAME_MAX_LENGTH, ChipIn, Contribution, Gift, GiftEvent
from . import selectors

logger = logging.getLogger(__name__)
C = ChipIn.Status
CS = Contribution.Status


class ChipInError(DomainError):
    """A chip-in action that cannot happen now (closed, funded, cancelled)."""

    code = "chip-in-refused"


class ShareError(ChipInError):
    """A share amount that is not acceptable: below the smallest share, above what is left."""

    code = "chip-in-share-refused"
    status = 422
    field = "amount"


# --- Starting ---------------------------------------------------------------------------


def chip_in_create(
    *,
    organiser: object | None,
    sku_id: int,
    message: str,
    sender_name: str,
    language: str,
    partner: object | None = None,
) -> ChipIn:
    """A one-recipient gift that friends pay for together, within the funding window.

    The unit's stock is held from now on, so a funded gift can always ship; the gift has
    no payment until it is funded. A partner's chip-in (a brand's campaign) has no organiser.
    """
    sku, message, sender_name = gifting.gift_input_clean(
        sku_id=sku_id, quantity=1, message=message, sender_name=sender_name
    )
    with transaction.atomic():
        gifting.gift_reserve_stock(sku.pk, 1)
        gift_salt, share_salt = tokens.new_salt(), tokens.new_salt()
        gift = Gift.objects.create(
            sender=organiser,
            partner=partner,
            sku=sku,
            quantity=1,
            unit_price=sku.price,
            amount=sku.price,
            message=message,
            sender_name=sender_name[:30],
            status=Gift.Status.FUNDING,
            token_salt=gift_salt,
            token_hash=tokens.token_hash(tokens.token_for(gift_salt)),
            language=language,
        )
        chip_in = ChipIn.objects.create(
            gift=gift,
            organiser=organiser,
            target=sku.price,
            min_share=min(settings.CHIPIN_MIN_SHARE, sku.price),
            deadline=timezone.now() + timedelta(seconds=settings.CHIPIN_FUNDING_WINDOW_SECONDS),
            token_salt=share_salt,
            token_hash=tokens.token_hash(tokens.token_for(share_salt)),
        )
        GiftEvent.objects.create(gift=gift, kind=GiftEvent.Kind.CREATED)
    return chip_in


# --- Shares -----------------------------------------------------------------------------


def share_amount_clean(chip_in: ChipIn, raw: object) -> Decimal:
    """A share in yuan, to the fen: at least the smallest share (unless it is all that is
    left), at most what is left. Checked again, atomically, when it is taken."""
    try:
        amount = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ShareError(_("Enter an amount in yuan, such as 50 or 49.90.")) from None
    if not amount.is_finite() or amount <= 0 or amount.normalize().as_tuple().exponent < -2:
        raise ShareError(_("Enter an amount in yuan, such as 50 or 49.90."))
    left = chip_in.left
    if amount > left:
        raise ShareError(_("Only %(left)s is left to chip in.") % {"left": format_cny(left)})
    if amount < chip_in.min_share and amount != left:
        raise ShareError(
            _("A share is at least %(min)s (or exactly what is left, %(left)s).")
            % {"min": format_cny(chip_in.min_share), "left": format_cny(left)}
        )
    return amount.quantize(Decimal("0.01"))


def _closed_message(chip_in: ChipIn) -> str:
    if chip_in.status == C.OPEN and chip_in.deadline <= timezone.now():
        return _("This chip-in has closed: it was not funded in time.")
    return {
        C.FUNDED: _("This gift is already fully funded. Thank you!"),
        C.FAILED: _("This chip-in has closed: it was not funded in time."),
        C.CANCELLED: _("The organiser cancelled this chip-in."),
    }.get(chip_in.status, _("This chip-in is not available."))


def contribute(*, chip_in: ChipIn, user: object, amount: object, display_name: str) -> Contribution:
    """Take a share and open its payment: nothing is taken, and no payment made, when the
    chip-in is closed, funded, past its deadline, or has less left than `amount`."""
    display_name = gifting.text_clean(display_name)[:DISPLAY_NAME_MAX_LENGTH]
    if not display_name:
        raise ChipInError(_("Say which name the others see."))
    chip_in.refresh_from_db()
    if chip_in.status != C.OPEN or chip_in.deadline <= timezone.now():
        raise ChipInError(_closed_message(chip_in))
    share = share_amount_clean(chip_in, amount)
    with transaction.atomic():
        if not state.take_share(chip_in.pk, share):
            chip_in.refresh_from_db()
            if chip_in.status == C.OPEN and chip_in.deadline > timezone.now():
                raise ShareError(
                    _("Only %(left)s is left to chip in.") % {"left": format_cny(chip_in.left)}
                )
            raise ChipInError(_closed_message(chip_in))
        payment = payments.payment_create(
            purpose=Payment.Purpose.CHIP_IN,
            amount=share,
            user=user,
            description=_("Chip-in: %(title)s") % {"title": chip_in.gift.sku.product.title},
        )
        contribution = Contribution.objects.create(
            chip_in=chip_in, user=user, display_name=display_name, amount=share, payment=payment
        )
    chip_in.refresh_from_db()
    return contribution


def contribution_payment_succeeded(payment: Payment) -> None:
    """Payment handler: the share counts, and the share that completes the gift funds it.

    A share whose place was given up (not paid in time) or whose chip-in closed meanwhile
    goes straight back to its payment.
    """
    contribution = Contribution.objects.select_related("chip_in").get(payment=payment)
    chip_in = ChipIn.objects.select_for_update().get(pk=contribution.chip_in_id)
    if chip_in.status != C.OPEN or not state.share_paid(contribution.pk):
        logger.warning(
            "Share %s paid for %s chip-in %s", contribution.pk, chip_in.status, chip_in.pk
        )
        _refund_late(contribution)
        return
    chip_in.refresh_from_db()
    if chip_in.paid == chip_in.target:
        _fund(chip_in, payment)


def _refund_late(contribution: Contribution) -> None:
    """A payment that arrived for a share no longer held: all of it back, at once."""
    Contribution.objects.filter(pk=contribution.pk, status__in=[CS.PENDING, CS.RELEASED]).update(
        status=CS.PAID, paid_at=timezone.now()
    )
    payments.refunds_create([selectors.refund_spec(contribution)])


def _fund(chip_in: ChipIn, payment: Payment) -> None:
    expires_at = timezone.now() + timedelta(seconds=settings.GIFT_ACCEPT_WINDOW_SECONDS)
    if not state.fund(chip_in.pk, chip_in.gift_id, payment_id=payment.pk, expires_at=expires_at):
        return  # past the deadline: the sweep closes it and gives everything back
    gift = Gift.objects.select_related("sender", "sku__product").get(pk=chip_in.gift_id)
    GiftEvent.objects.create(gift=gift, kind=GiftEvent.Kind.FUNDED)
    notices.notify_user(  # the organiser now shares the gift's own link with the recipient
        kind="chipin_funded",
        key=f"chipin-{chip_in.pk}-funded",
        user=gift.sender,
        context={
            "product": gift.sku.product.title,
            "gift_url": settings.SITE_URL + reverse("gifting:sent_detail", args=[gift.pk]),
            "expires_at": timezone.localtime(expires_at).strftime("%Y-%m-%d %H:%M"),
        },
    )
    if gift.partner_id:
        events.report(events.GIFT_FUNDED, [gift.pk])


# --- Closing unfunded -------------------------------------------------------------------


def chip_in_cancel(*, chip_in: ChipIn) -> None:
    """The organiser (or the partner) calls it off before it is funded: every paid share
    is refunded to its own payment."""
    with transaction.atomic():
        if not _close_unfunded(chip_in.pk, C.CANCELLED):
            chip_in.refresh_from_db()
            raise ChipInError(_closed_message(chip_in))
    chip_in.refresh_from_db()


def _close_unfunded(chip_in_id: int, target: str) -> bool:
    """Lock, close (compare-and-set), then stock back, unpaid shares let go, paid ones refunded."""
    chip_in = ChipIn.objects.select_for_update().select_related("gift").get(pk=chip_in_id)
    if not state.close_unfunded(chip_in.pk, chip_in.gift_id, target):
        return False
    gift = chip_in.gift
    gifting.gift_release_stock(gift.sku_id, gift.quantity)
    contributions = list(chip_in.contributions.select_related("payment", "user").order_by("pk"))
    for contribution in contributions:
        if contribution.status == CS.PENDING and state.release_share(contribution.pk):
            payments.payment_close(payment=contribution.payment)
    payments.refunds_create(
        [selectors.refund_spec(c) for c in contributions if c.status == CS.PAID]
    )
    GiftEvent.objects.create(gift_id=gift.pk, kind=GiftEvent.Kind.UNFUNDED)
    context = {"product": gift.sku.product.title, "chip_in_id": chip_in.pk}
    notices.notify_users(
        kind="chipin_unfunded",
        items=[
            (f"contribution-{c.pk}-unfunded", c.user, {**context, "amount": format_cny(c.amount)})
            for c in contributions
            if c.status == CS.PAID
        ],
    )
    if gift.partner_id:
        events.report(events.GIFT_FUNDING_FAILED, [gift.pk])
    return True


CLOSE_JOB = jobs.define(
    "gifting.chipin_close",
    gettext_noop("Close chip-ins not funded by their deadline"),
    model="gifting.chipin",
)
RELEASE_JOB = jobs.define(
    "gifting.chipin_release",
    gettext_noop("Give back shares not paid in time"),
    model="gifting.contribution",
)


def chip_ins_sweep(*, batch: int = 500) -> int:
    """The beat sweep: close chip-ins past their deadline (refunding every paid share),
    and give back the places of shares whose payment failed or never came.

    Each chip-in and each share is its own transaction: no item stops the batch; one that
    fails is retried with backoff, then parked for operators (`shop.core.jobs`).
    """
    now = timezone.now()
    due = (
        ChipIn.objects.filter(status=C.OPEN, deadline__lte=now)
        .exclude(pk__in=jobs.held_back(CLOSE_JOB))
        .order_by("deadline")
        .values_list("pk", flat=True)[:batch]
    )
    closed = jobs.run_each(CLOSE_JOB, list(due), lambda pk: _close_unfunded(pk, C.FAILED), key=int)
    stale = now - timedelta(seconds=settings.CHIPIN_SHARE_HOLD_SECONDS)
    unpaid = (
        Contribution.objects.filter(status=CS.PENDING, chip_in__status=C.OPEN)
        .filter(Q(created_at__lte=stale) | Q(payment__status=Payment.Status.FAILED))
        .exclude(pk__in=jobs.held_back(RELEASE_JOB))
        .order_by("pk")
        .values_list("pk", flat=True)[:batch]
    )
    released = jobs.run_each(RELEASE_JOB, list(unpaid), _release, key=int)
    return closed + released


def _release(contribution_id: int) -> bool:
    contribution = Contribution.objects.select_related("payment").get(pk=contribution_id)
    ChipIn.objects.select_for_update().get(pk=contribution.chip_in_id)
    if not state.release_share(contribution_id):
        return False
    payments.payment_close(payment=contribution.payment)
    return True


def contributions_refunds_succeeded(refunds: list[Refund]) -> None:
    """Refund handler (in the settling transaction): each share is back with its payer."""
    ids = {int(refund.subject.partition(":")[2]): refund for refund in refunds}
    contributions = Contribution.objects.select_related("chip_in").in_bulk(list(ids))
    reported = []
    for contribution_id, refund in ids.items():
        contribution = contributions[contribution_id]
        if not state.share_refunded(contribution_id):
            continue
        gift_id = contribution.chip_in.gift_id
        Gift.objects.filter(pk=gift_id).update(refunded_amount=F("refunded_amount") + refund.amount)
        GiftEvent.objects.create(gift_id=gift_id, kind=GiftEvent.Kind.REFUNDED)
        reported.append(gift_id)
    events.report(events.GIFT_REFUNDED, sorted(set(reported)))
