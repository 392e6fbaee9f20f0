"""Three weeks of gift history, replayed through the shop's own services.

Each step of a demo gift's life runs at the moment it happened, the clock set back with
time-machine and standing still for the step, through the functions the live shop runs:
`gift_create`, the sandbox provider's charge and its signed notification to the shop,
`gift_claim`, `gift_decline`, `gift_cancel`, the expiry sweep, refunds executed against
the sandbox, and the merchant shipping and delivering each order. Likewise a brand's
campaign, paid from its partner balance (`partner_gift_send`), and the demo shopper's own
checkouts. So every row is one the services write, in a state they can reach, and
`manage.py reconcile` finds the ledger agreeing with the provider and the balances.

Only what happened by now is replayed: a recent gift is still live, due
GIFT_ACCEPT_WINDOW_SECONDS after its payment like any other. A gift's claims, decline or
cancel are planned within a 24-hour window and scaled to the configured one, and so is a
live gift's age: with a 60-second window the demo's live gifts fall due within a minute.

What a worker would do meanwhile (carry the provider's notifications to the shop, execute
refunds) is done here, in-process, and nothing is published: the history's messages and
emails belong to the past. The history is one transaction and is written once: demo gifts
are the demo senders' gifts, and when there are any there is nothing to do.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import time_machine
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from gifting import changes
from gifting import services as gifting
from gifting.chipin import services as chipin
from gifting.models import Gift, GiftClaim
from shop.accounts.models import User
from shop.cart import services as cart_services
from shop.cart.models import Cart
from shop.cart.selectors import cart_lines_priced
from shop.catalogue.models import Product, Sku
from shop.core import signing
from shop.core.tasks import publishing_off
from shop.notices import selectors as notices_selectors
from shop.notices import services as notices
from shop.orders import services as orders
from shop.orders.models import Order, RefundRequest
from shop.partners import services as partner_services
from shop.partners.models import Partner
from shop.payments import services as payments
from shop.payments.gateway import get_gateway
from shop.payments.gateways.sandbox import SandboxGateway
from shop.payments.models import Payment, Refund
from shop.sandbox import provider
from shop.sandbox.models import SandboxCharge, SandboxMode, SandboxNotification

from . import demo_data
from .demo_data import ChipInPlan, GiftPlan, PurchasePlan

# The header the sandbox signs its notifications in (see SandboxGateway.parse_notification).
SIGNATURE_HEADER = "X-Sandbox-Signature"


class HistoryError(Exception):
    """The history cannot be replayed: the provider would not behave as a provider should."""


@dataclass(frozen=True)
class Step:
    """One thing that happened to a gift at `at`; `unit` says which claim, for its order."""

    at: datetime
    action: str
    unit: int = 0


def _whole_seconds(span: timedelta) -> timedelta:
    """At least a second, so a step never shares its moment with the one it follows."""
    return timedelta(seconds=max(1, round(span.total_seconds())))


def gift_steps(
    plan: GiftPlan, *, now: datetime, window: timedelta, paid_on_sending: bool = False
) -> list[Step]:
    """What happened to demo gift `plan` by `now`, in order, to the second.

    Steps after `now` have not happened yet, so a gift planned to be declined or to
    expire may still be live; a step at the same moment as another keeps its place. A
    partner's gift is paid from its balance as it is sent (`paid_on_sending`).
    """
    scale = window / timedelta(days=1)
    age = timedelta(hours=plan.hours_ago)
    if plan.status == Gift.Status.AWAITING_RECIPIENT:
        age *= scale
    paid = (now - age).replace(microsecond=0)
    if paid_on_sending:
        steps = [Step(paid, "send")]
    else:
        steps = [Step(paid - demo_data.PAYMENT_AFTER, "send"), Step(paid, "pay")]
    for unit, (delay, refunded) in enumerate(zip(plan.claim_delays, plan.refunded, strict=True)):
        claimed = paid + _whole_seconds(timedelta(hours=delay) * scale)
        steps.append(Step(claimed, "claim", unit))
        if refunded:
            steps.append(Step(claimed + demo_data.REFUND_REQUESTED_AFTER, "refund_request", unit))
            steps.append(Step(claimed + demo_data.REFUND_APPROVED_AFTER, "refund_approve", unit))
        else:
            steps.append(Step(claimed + demo_data.SHIPPED_AFTER, "ship", unit))
            steps.append(Step(claimed + demo_data.DELIVERED_AFTER, "deliver", unit))
    closing = {
        Gift.Status.CANCELLED: ("cancel", timedelta(hours=demo_data.CANCEL_AFTER_HOURS) * scale),
        Gift.Status.DECLINED: ("decline", timedelta(hours=demo_data.DECLINE_AFTER_HOURS) * scale),
        Gift.Status.EXPIRED: ("expire", window),
    }
    if plan.status in closing:
        action, after = closing[plan.status]
        steps.append(Step(paid + _whole_seconds(after), action))
    return sorted((step for step in steps if step.at <= now), key=lambda step: step.at)


def giftable_skus_by_merchant() -> dict[str, list[Sku]]:
    """Each demo merchant's giftable demo products (their first SKU), in catalogue order."""
    skus = (
        Sku.objects.filter(
            code__startswith=demo_data.SKU_CODE_PREFIX,
            code__endswith="-1",
            is_active=True,
            price__lte=settings.GIFT_MAX_UNIT_PRICE,
            product__status=Product.Status.LISTED,
            product__category__giftable=True,
            product__category__parent__giftable=True,
        )
        .select_related("product__merchant")
        .order_by("code")
    )
    by_merchant: dict[str, list[Sku]] = {}
    for sku in skus:
        by_merchant.setdefault(sku.product.merchant.slug, []).append(sku)
    return by_merchant


def history_seed(*, senders: Sequence[User], shopper: User, gifts: int) -> int:
    """Replay the first `gifts` demo gifts, the partner's campaign and the shopper's
    orders, once; returns how many gifts were made.

    Raises HistoryError, before writing anything, when the shop's provider is not the
    sandbox or the sandbox has failure modes switched on.
    """
    if not gifts or Gift.objects.filter(sender__in=senders).exists():
        return 0
    skus = giftable_skus_by_merchant()
    if not skus:
        return 0
    _check_sandbox()
    now = timezone.now()
    window = timedelta(seconds=settings.GIFT_ACCEPT_WINDOW_SECONDS)
    lives = [
        (gift_steps(plan, now=now, window=window), plan)
        for plan in map(demo_data.gift_plan, range(gifts))
        if plan.merchant in skus
    ]
    lives.sort(key=lambda life: life[0][0].at)  # by when each gift was sent
    made = 0
    with publishing_off(), transaction.atomic():
        before = notices_selectors.last_notice_id()
        for steps, plan in lives:
            made += _gift_replay(plan, steps, skus[plan.merchant], sender=senders[plan.sender])
        if demo_data.PARTNER_MERCHANT in skus:
            made += _partner_replay(skus[demo_data.PARTNER_MERCHANT], now, window)
        for purchase in demo_data.SHOPPER_PURCHASES:
            _purchase_replay(purchase, shopper, skus, now)
        for plan in demo_data.CHIP_INS:
            made += _chip_in_replay(plan, senders, shopper, skus.get(plan.merchant, []), now)
        _ask_for_a_new_address()
        notices.notices_drop_replayed(after_id=before)
    return made


def _check_sandbox() -> None:
    gateway = get_gateway().name
    if gateway != SandboxGateway.name:
        raise HistoryError(
            f"The demo gift history is paid through the sandbox provider, but the shop's "
            f"payment gateway is {gateway!r}."
        )
    mode = SandboxMode.current()
    if (
        mode.decline_payments
        or mode.timeout_requests
        or mode.fail_refunds
        or mode.notify_before_redirect
        or mode.refund_delay_ms
    ):
        raise HistoryError(
            "The sandbox has failure modes switched on (admin: sandbox failure modes); "
            "switch them off to seed the demo gift history."
        )


# --- One gift's life ---------------------------------------------------------------------


def _gift_replay(
    plan: GiftPlan,
    steps: list[Step],
    skus: list[Sku],
    *,
    sender: User | None = None,
    partner: Partner | None = None,
) -> bool:
    """Live through the gift's steps; False if none of the merchant's products had the units.

    The gift is `sender`'s, paid at the provider, or `partner`'s, paid from its balance.
    """
    gift: Gift | None = None
    parcels: dict[int, Order] = {}
    requests: dict[int, RefundRequest] = {}
    for step in steps:
        with time_machine.travel(step.at, tick=False):
            match step.action:
                case "send":
                    gift = _send(plan, skus, sender, partner)
                    if gift is None:
                        return False
                case "pay":
                    _pay(gift.payment, step.at)
                case "claim":
                    claim = gifting.gift_claim(
                        gift=gift, recipient=_recipient(plan, step.unit), sku_id=None, user=None
                    )
                    parcels[step.unit] = claim.order
                case "decline":
                    gifting.gift_decline(gift=gift)
                    _refunds_settle(gift.payment, step.at)
                case "cancel":
                    gifting.gift_cancel(gift=gift)
                    _refunds_settle(gift.payment, step.at)
                case "expire":
                    gifting.gifts_expire_due()
                    _refunds_settle(gift.payment, step.at)
                case "refund_request":
                    order = parcels[step.unit]
                    requests[step.unit] = orders.refund_request_create(
                        order=order, amount=order.total, reason=demo_data.REFUND_REASON
                    )
                case "refund_approve":
                    orders.refund_request_approve(
                        request=requests[step.unit], note=demo_data.REFUND_NOTE
                    )
                    _refunds_settle(gift.payment, step.at)
                case "ship":
                    _ship(parcels[step.unit])
                case "deliver":
                    _hand_over(parcels[step.unit])
    return True


def _send(
    plan: GiftPlan, skus: list[Sku], sender: User | None, partner: Partner | None
) -> Gift | None:
    """Create the planned gift (or on the merchant's next product, if that one ran out).

    A sender's gift then opens its payment at the provider, as the send page does; a
    partner's is charged to its balance and live at once, as the partner API does.
    """
    start = int(plan.pick * len(skus))
    for sku in skus[start:] + skus[:start]:
        try:
            if partner is not None:
                return partner_services.partner_gift_send(
                    partner=partner,
                    sku_id=sku.pk,
                    quantity=plan.units,
                    message=plan.message,
                    sender_name=partner.name[:30],
                    allow_variant_choice=False,
                )
            gift = gifting.gift_create(
                sender=sender,
                sku_id=sku.pk,
                quantity=plan.units,
                message=plan.message,
                sender_name=sender.name,
                allow_variant_choice=False,
                language=settings.LANGUAGE_CODE,
            )
        except gifting.GiftError:
            continue
        return_url = settings.SITE_URL + reverse("gifting:sent_detail", args=[gift.pk])
        payments.payment_start(payment=gift.payment, return_url=return_url)
        return gift
    return None


def _recipient(plan: GiftPlan, unit: int) -> gifting.Recipient:
    name, province, city, district = demo_data.GIFT_RECIPIENTS[
        (plan.index + unit) % len(demo_data.GIFT_RECIPIENTS)
    ]
    return gifting.Recipient(
        recipient_name=name,
        phone=f"139{plan.index:06d}{unit:02d}",
        province=province,
        city=city,
        district=district,
        street=f"幸福路 {plan.index % 200 + 1} 号",
    )


def _ship(order: Order) -> None:
    orders.order_ship(
        order=order, carrier=demo_data.CARRIER, tracking_number=f"SF{order.number[-12:]}"
    )


def _hand_over(order: Order) -> None:
    orders.order_mark_delivered(order=order)


def _ask_for_a_new_address() -> None:
    """The latest accepted gift still awaiting shipment: its recipient has just asked for
    the parcel to go elsewhere, so the merchant's admin shows a change waiting."""
    claim = (
        GiftClaim.objects.filter(order__status=Order.Status.PAID, order__shipped_at__isnull=True)
        .select_related("order")
        .order_by("-claimed_at", "-pk")
        .first()
    )
    if claim is not None:
        changes.address_change_request(claim=claim, address=demo_data.CHANGED_ADDRESS)


# --- The partner's campaign -------------------------------------------------------------


def _partner_replay(skus: list[Sku], now: datetime, window: timedelta) -> int:
    """Top up the partner's balance, then live through its gifts; how many were sent."""
    partner = partner_services.partner_get_or_create(name=demo_data.PARTNER_NAME)
    partner_services.merchants_grant(partner=partner, merchants=[skus[0].product.merchant])
    topped_up = (now - timedelta(days=demo_data.PARTNER_TOP_UP_DAYS_AGO)).replace(microsecond=0)
    with time_machine.travel(topped_up, tick=False):
        partner_services.balance_top_up(
            partner=partner,
            amount=demo_data.PARTNER_TOP_UP,
            reference="DEMO-TOP-UP-1",
            note="演示：活动预充值",
        )
    lives = [
        (gift_steps(plan, now=now, window=window, paid_on_sending=True), plan)
        for plan in map(demo_data.partner_gift_plan, range(demo_data.PARTNER_GIFT_COUNT))
    ]
    lives.sort(key=lambda life: life[0][0].at)
    return sum(_gift_replay(plan, steps, skus, partner=partner) for steps, plan in lives)


# --- The shopper's own orders ------------------------------------------------------------


def _purchase_replay(
    plan: PurchasePlan, shopper: User, skus: dict[str, list[Sku]], now: datetime
) -> None:
    """Cart, checkout, payment and fulfilment of one of the shopper's orders.

    Skipped if the shopper's cart already holds something: that is theirs, not the demo's.
    """
    paid = (now - timedelta(hours=plan.hours_ago)).replace(microsecond=0)
    with time_machine.travel(paid - demo_data.PAYMENT_AFTER, tick=False):
        cart, _ = Cart.objects.get_or_create(user=shopper)
        if cart.lines.exists():
            return
        for merchant, pick, quantity in plan.items:
            _cart_add(cart, skus.get(merchant, []), pick, quantity)
        lines = cart_lines_priced(cart=cart)
        address = shopper.addresses.filter(is_default=True).first()
        if not lines or address is None:
            return
        payment = orders.checkout_place_orders(
            user=shopper,
            cart=cart,
            address={field: getattr(address, field) for field in orders.ADDRESS_FIELDS},
            fingerprint=orders.cart_fingerprint(lines),
            language=settings.LANGUAGE_CODE,
        )
        return_url = settings.SITE_URL + reverse("orders:payment", args=[payment.reference])
        payments.payment_start(payment=payment, return_url=return_url)
    with time_machine.travel(paid, tick=False):
        _pay(payment, paid)
    for order in Order.objects.filter(payment=payment).order_by("pk"):
        for after, fulfil in (
            (demo_data.SHIPPED_AFTER, _ship),
            (demo_data.DELIVERED_AFTER, _hand_over),
        ):
            if paid + after <= now:
                with time_machine.travel(paid + after, tick=False):
                    fulfil(order)


def _cart_add(cart: Cart, skus: list[Sku], pick: float, quantity: int) -> None:
    """The planned product, or the merchant's next one with the units in stock."""
    start = int(pick * len(skus))
    for sku in skus[start:] + skus[:start]:
        try:
            cart_services.cart_add(cart=cart, sku_id=sku.pk, quantity=quantity)
        except cart_services.CartError:
            continue
        return


# --- Chip-ins ------------------------------------------------------------------------------


def _chip_in_replay(
    plan: ChipInPlan, senders: Sequence[User], shopper: User, skus: list[Sku], now: datetime
) -> bool:
    """Start the chip-in on the merchant's first product that can be split into its shares,
    then pay the organiser's share and each friend's, as the share page does; False if
    none of the merchant's products could be."""
    organiser = shopper if plan.organiser is None else senders[plan.organiser]
    started = now - timedelta(hours=plan.hours_ago)
    least = settings.CHIPIN_MIN_SHARE * plan.shares
    with time_machine.travel(started, tick=False):
        chip_in = None
        for sku in (sku for sku in skus if sku.price >= least):
            try:
                chip_in = chipin.chip_in_create(
                    organiser=organiser,
                    sku_id=sku.pk,
                    message=plan.message,
                    sender_name=plan.sender_name,
                    language=settings.LANGUAGE_CODE,
                )
            except gifting.GiftError:
                continue
            break
    if chip_in is None:
        return False
    share = (chip_in.target / plan.shares).quantize(Decimal("0.01"))
    payers = [organiser, *(senders[n] for n in plan.friends)]
    for n, payer in enumerate(payers, start=1):
        at = started + timedelta(minutes=20 * n)
        with time_machine.travel(at, tick=False):
            chip_in.refresh_from_db()
            contribution = chipin.contribute(
                chip_in=chip_in,
                user=payer,
                amount=chip_in.left if n == plan.shares else share,
                display_name=payer.name,
            )
            back = settings.SITE_URL + reverse("gifting:chip_in_status", args=[chip_in.pk])
            payments.payment_start(payment=contribution.payment, return_url=back)
            _pay(contribution.payment, at)
    return True


# --- What the provider and the worker do meanwhile ----------------------------------------


def _pay(payment: Payment, at: datetime) -> None:
    """The payer confirms on the provider's hosted page; its notification reaches the shop."""
    charge = SandboxCharge.objects.get(merchant_reference=payment.trade_no)
    provider.charge_complete(charge_id=charge.pk, approve=True)
    _deliver(at)


def _refunds_settle(payment: Payment, at: datetime) -> None:
    """Execute the payment's pending refunds, as the refund task would, then deliver the
    provider's refund notifications."""
    pending = list(
        Refund.objects.filter(payment=payment, status=Refund.Status.PENDING).values_list(
            "pk", flat=True
        )
    )
    if payments.refunds_execute(refund_ids=pending):
        raise HistoryError("The sandbox did not answer a refund.")
    _deliver(at)


def _deliver(at: datetime) -> None:
    """Carry the provider's notifications of this moment to the shop, signed, and hand
    them to the shop as its notify view does (the provider would POST them; here the
    network is a function call). The clock stands still in a step, so this moment's
    notifications are exactly those stamped `at`."""
    gateway = get_gateway()
    sent = list(
        SandboxNotification.objects.filter(delivered_at__isnull=True, created_at=at).order_by("pk")
    )
    for notification in sent:
        body = notification.body.encode()
        headers = {SIGNATURE_HEADER: signing.sign(body, settings.SANDBOX_SECRET)}
        payments.notification_handle(
            notification=gateway.parse_notification(body=body, headers=headers),
            gateway=gateway.name,
        )
    SandboxNotification.objects.filter(pk__in=[n.pk for n in sent]).update(
        delivered_at=at, attempts=F("attempts") + 1
    )
