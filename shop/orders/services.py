"""Writes for orders: checkout, payment, cancellation and refunds.

Stock is reserved when an order is placed, with one conditional UPDATE per SKU
(`quantity = quantity - n WHERE quantity >= n`), in SKU order so concurrent checkouts
never deadlock: stock cannot go negative, and a buyer who loses the race gets a clear
"sold out" with nothing written. Status changes go through `orders.state`.
"""

import hashlib
import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from shop.accounts.models import User
from shop.cart.models import Cart, CartLine
from shop.cart.selectors import PricedLine, cart_lines_priced
from shop.catalogue import stock
from shop.core import jobs
from shop.core.errors import DomainError
from shop.core.money import format_cny, quantize
from shop.core.tasks import publish
from shop.payments import services as payments
from shop.payments.models import Payment, Refund
from shop.payments.selectors import refunded_or_pending
from shop.webhooks import events

from . import state
from .models import ChangeRequest, Order, OrderEvent, OrderLine, RefundRequest

logger = logging.getLogger(__name__)

ADDRESS_FIELDS = ("recipient_name", "phone", "province", "city", "district", "street", "postcode")


class CheckoutError(DomainError):
    """Checkout cannot go ahead; the message is for the shopper. Nothing was written."""

    code = "checkout-refused"


class OrderError(DomainError):
    """An order action that is not possible now; the message is for the shopper."""

    code = "order-refused"


# Orders paid for by someone else (an accepted gift's, paid by its sender) tell that side
# of their shipment, delivery and refunds: handlers named by dotted path, as payments reach
# the domain above them, called in the change's transaction as (order, action, refund=…).
PAID_ELSEWHERE_HANDLERS = {Payment.Purpose.GIFT: "gifting.services.gift_order_changed"}


def _paid_elsewhere(order: Order, action: str, refund: Refund | None = None) -> None:
    purpose = Payment.objects.values_list("purpose", flat=True).get(pk=order.payment_id)
    handler = PAID_ELSEWHERE_HANDLERS.get(purpose)
    if handler:
        import_string(handler)(order, action, refund=refund)


class ChangePending(OrderError):
    """The recipient asked for a change the merchant has not answered: nothing ships yet."""

    code = "change-pending"


def cart_fingerprint(lines: list[PricedLine]) -> str:
    """What the shopper saw: SKUs, quantities and prices. Checkout refuses if it changed."""
    text = ";".join(
        f"{p.line.sku_id}:{p.line.quantity}:{p.unit_price}"
        for p in sorted(lines, key=lambda p: p.line.sku_id)
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class MerchantGroup:
    merchant: object
    lines: list[PricedLine]

    @property
    def total(self) -> Decimal:
        return sum((p.total for p in self.lines), start=Decimal("0.00"))


def group_by_merchant(lines: list[PricedLine]) -> list[MerchantGroup]:
    groups: dict[int, list[PricedLine]] = defaultdict(list)
    merchants = {}
    for priced in lines:
        merchant = priced.line.sku.product.merchant
        merchants[merchant.pk] = merchant
        groups[merchant.pk].append(priced)
    return [MerchantGroup(merchants[pk], group) for pk, group in groups.items()]


def commission_for(lines: list[OrderLine]) -> Decimal:
    """The platform's share: each line at its category's rate, rounded to the fen."""
    return sum(
        (quantize(line.unit_price * line.quantity * line.commission_rate) for line in lines),
        start=Decimal("0.00"),
    )


def _order_number() -> str:
    return f"{timezone.localtime():%Y%m%d}{secrets.randbelow(10**10):010d}"


def checkout_place_orders(
    *, user: User, cart: Cart, address: dict, fingerprint: str, language: str
) -> Payment:
    """Turn the cart into one order per merchant, all paid by one payment.

    All or nothing: if any SKU is sold out or the cart changed since the shopper looked,
    no order, payment or stock change is kept. The cart row is locked first, so the same
    cart submitted twice (a double tap) places its orders once: the second submission
    finds the cart empty.
    """
    with transaction.atomic():
        Cart.objects.select_for_update().filter(pk=cart.pk).first()
        lines = cart_lines_priced(cart=cart)
        if not lines:
            raise CheckoutError(_("Your cart is empty."))
        if cart_fingerprint(lines) != fingerprint:
            raise CheckoutError(
                _("Your cart changed while you were checking out. Please review it.")
            )
        gone = [p for p in lines if not p.available]
        if gone:
            raise CheckoutError(
                _("%(item)s is no longer available. Remove it to continue.")
                % {"item": gone[0].line.sku.product.display_title}
            )
        groups = group_by_merchant(lines)
        total = sum((g.total for g in groups), start=Decimal("0.00"))
        for priced in sorted(lines, key=lambda p: p.line.sku_id):
            if not stock.reserve(sku_id=priced.line.sku_id, quantity=priced.line.quantity):
                raise CheckoutError(
                    _("Sorry, %(item)s sold out before you paid. Nothing was charged.")
                    % {"item": priced.line.sku.product.display_title}
                )
        payment = payments.payment_create(
            purpose=Payment.Purpose.ORDERS,
            amount=total,
            user=user,
            description=_("Gift Shop order"),
        )
        for group in groups:
            lines = [
                OrderLine(
                    sku=p.line.sku,
                    product_title=p.line.sku.product.title,
                    sku_label=p.line.sku.label,
                    unit_price=p.unit_price,
                    quantity=p.line.quantity,
                    commission_rate=p.line.sku.product.category.commission_rate,
                )
                for p in group.lines
            ]
            order = Order.objects.create(
                number=_order_number(),
                user=user,
                merchant=group.merchant,
                payment=payment,
                language=language,
                total=group.total,
                commission=commission_for(lines),
                **{field: address.get(field, "") for field in ADDRESS_FIELDS},
            )
            for line in lines:
                line.order = order
            OrderLine.objects.bulk_create(lines)
            OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.PLACED)
        CartLine.objects.filter(cart=cart).delete()
    return payment


def orders_payment_succeeded(payment: Payment) -> None:
    """Payment handler (in the notification's transaction): mark the payment's orders paid.

    An order cancelled before the money arrived (its 30 minutes ran out) is refunded.
    """
    # tasks imports this module: the task is looked up at call time (a real cycle).
    from .tasks import send_order_confirmation_task

    for order in Order.objects.filter(payment=payment):
        if state.transition(order.pk, "pay"):
            events.report(events.ORDER_PAID, [order])
            transaction.on_commit(lambda pk=order.pk: publish(send_order_confirmation_task, pk))
        else:
            logger.warning(
                "Payment %s arrived for %s order %s", payment.reference, order.status, order.number
            )
            payments.refund_create(
                payment=payment,
                amount=order.total,
                subject=f"order:{order.pk}",
                subject_limit=order.total,
                idempotency_key=f"late-{order.number}",
                reason="Paid after the order was cancelled",
            )


def order_cancel(*, order: Order, note: str = "") -> None:
    """Cancel an unpaid order and put its stock back, once."""
    with transaction.atomic():
        if not state.transition(order.pk, "cancel", note=note):
            raise OrderError(_("Only an order awaiting payment can be cancelled."))
        for line in order.lines.all():
            stock.release(sku_id=line.sku_id, quantity=line.quantity)
        # One payment may be for several shops' orders: close it once none is left to pay.
        unpaid = Order.objects.filter(
            payment_id=order.payment_id, status=Order.Status.PENDING_PAYMENT
        )
        if not unpaid.exists():
            payments.payment_close(payment=order.payment)


CANCEL_UNPAID_JOB = jobs.define(
    "orders.cancel_unpaid", gettext_noop("Cancel unpaid orders"), model="orders.order"
)


def orders_cancel_unpaid(*, now: object = None, limit: int = 1000) -> int:
    """Cancel orders left unpaid past ORDER_PAYMENT_TIMEOUT_SECONDS; returns how many.

    Each order is cancelled in its own transaction (row locked, SKIP LOCKED), so one that
    cannot be cancelled is retried later and never holds up the others.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.ORDER_PAYMENT_TIMEOUT_SECONDS)
    due = (
        Order.objects.filter(status=Order.Status.PENDING_PAYMENT, created_at__lt=cutoff)
        .exclude(pk__in=jobs.held_back(CANCEL_UNPAID_JOB))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return jobs.run_each(CANCEL_UNPAID_JOB, list(due), _cancel_unpaid, key=int)


def _cancel_unpaid(order_id: int) -> bool:
    order = (
        Order.objects.select_for_update(skip_locked=True)
        .filter(pk=order_id, status=Order.Status.PENDING_PAYMENT)
        .first()
    )
    if order is None:  # paid or cancelled meanwhile, or being paid right now
        return False
    order_cancel(order=order, note=gettext_noop("Not paid in time"))
    return True


def refund_request_create(*, order: Order, amount: Decimal, reason: str) -> RefundRequest:
    """The shopper asks for (part of) their money back; the merchant decides."""
    if order.status not in state.REFUNDABLE:
        raise OrderError(_("This order cannot be refunded."))
    available = order.total - refunded_or_pending(subject=f"order:{order.pk}")
    if amount <= 0 or amount > available:
        raise OrderError(
            _("You can ask for at most %(amount)s.") % {"amount": format_cny(available)}
        )
    try:
        with transaction.atomic():
            request = RefundRequest.objects.create(order=order, amount=amount, reason=reason)
            OrderEvent.objects.create(
                order=order,
                kind=OrderEvent.Kind.REFUND_REQUESTED,
                note=f"{format_cny(amount)}: {reason}"[:200],
            )
    except IntegrityError as error:
        raise OrderError(_("A refund request for this order is already waiting.")) from error
    return request


def refund_request_approve(*, request: RefundRequest, note: str = "") -> Refund:
    """Approve once (compare-and-set) and refund through the ledger."""
    with transaction.atomic():
        won = RefundRequest.objects.filter(
            pk=request.pk, status=RefundRequest.Status.REQUESTED
        ).update(
            status=RefundRequest.Status.APPROVED, decided_at=timezone.now(), decision_note=note
        )
        if not won:
            raise OrderError(_("This refund request was already decided."))
        order = request.order
        try:
            return payments.refund_create(
                payment=order.payment,
                amount=request.amount,
                subject=f"order:{order.pk}",
                subject_limit=order.total,
                idempotency_key=f"rr-{request.pk}",
                reason=request.reason,
            )
        except payments.RefundError as error:
            raise OrderError(str(error)) from error


def refund_request_refuse(*, request: RefundRequest, note: str) -> None:
    with transaction.atomic():
        won = RefundRequest.objects.filter(
            pk=request.pk, status=RefundRequest.Status.REQUESTED
        ).update(status=RefundRequest.Status.REFUSED, decided_at=timezone.now(), decision_note=note)
        if not won:
            raise OrderError(_("This refund request was already decided."))
        OrderEvent.objects.create(
            order_id=request.order_id, kind=OrderEvent.Kind.REFUND_REFUSED, note=note
        )


def orders_refunds_succeeded(refunds: list[Refund]) -> None:
    """Refund handler (in the settling transaction): record the money on each order."""
    # tasks imports this module: the task is looked up at call time (a real cycle).
    from .tasks import send_refund_email_task

    for refund in refunds:
        order_id = int(refund.subject.partition(":")[2])
        note = format_cny(refund.amount)
        if not state.record_refund(order_id, refund.amount, note=note):
            # A cancelled order refunded for a late payment: it never counted as paid.
            OrderEvent.objects.create(order_id=order_id, kind=OrderEvent.Kind.REFUNDED, note=note)
        order = Order.objects.select_related("payment").get(pk=order_id)
        if order.payment.purpose == Payment.Purpose.ORDERS:  # the buyer paid: tell them
            transaction.on_commit(lambda pk=refund.pk: publish(send_refund_email_task, pk))
        else:  # the money went back to whoever paid (a gift's sender), not to the recipient
            _paid_elsewhere(order, "refund", refund)


def orders_payment_retry(*, payment: Payment) -> Payment:
    """A declined payment cannot be confirmed again; move the still-unpaid orders to a new one."""
    if payment.status != Payment.Status.FAILED:
        return payment
    with transaction.atomic():
        orders = list(
            Order.objects.select_for_update().filter(
                payment=payment, status=Order.Status.PENDING_PAYMENT
            )
        )
        if not orders:
            raise OrderError(_("There is nothing left to pay for these orders."))
        retry = payments.payment_create(
            purpose=Payment.Purpose.ORDERS,
            amount=sum((o.total for o in orders), start=Decimal("0.00")),
            user=payment.user,
            description=payment.description,
        )
        Order.objects.filter(pk__in=[o.pk for o in orders]).update(payment=retry)
    return retry


def order_create_paid(
    *,
    user: User | None,
    payment_id: int,
    sku: object,
    unit_price: Decimal,
    address: dict,
    language: str,
    note: str = "",
) -> Order:
    """An order whose money was already taken elsewhere (an accepted gift): born paid."""
    line = OrderLine(
        sku=sku,
        product_title=sku.product.title,
        sku_label=sku.label,
        unit_price=unit_price,
        quantity=1,
        commission_rate=sku.product.category.commission_rate,
    )
    order = Order(
        number=_order_number(),
        user=user,
        merchant=sku.product.merchant,
        payment_id=payment_id,
        language=language,
        total=unit_price,
        commission=commission_for([line]),
        **{field: address.get(field, "") for field in ADDRESS_FIELDS},
    )
    paid = state.born(order, "pay")
    order.save(force_insert=True)
    line.order = order
    line.save()
    OrderEvent.objects.bulk_create(
        [OrderEvent(order=order, kind=OrderEvent.Kind.PLACED, note=note), paid]
    )
    events.report(events.ORDER_PAID, [order])
    return order


def order_ship(*, order: Order, carrier: str, tracking_number: str) -> None:
    """The merchant hands a paid order to a carrier; the buyer (or gift recipient) sees it."""
    carrier, tracking_number = carrier.strip(), tracking_number.strip()
    if not carrier or not tracking_number:
        raise OrderError(_("Give the carrier and the tracking number."))
    with transaction.atomic():
        # The order's row lock puts a shipment and a change request asked at the same
        # moment one after the other, so the request seen here is the committed one.
        Order.objects.select_for_update().filter(pk=order.pk).first()
        if ChangeRequest.objects.filter(order_id=order.pk, status=state.CR.PENDING).exists():
            raise ChangePending(
                _("The recipient asked for a change: approve or reject it before shipping.")
            )
        shipped = state.transition(
            order.pk,
            "ship",
            note=f"{carrier} {tracking_number}",
            carrier=carrier[:50],
            tracking_number=tracking_number[:50],
        )
        if shipped:
            events.report(events.ORDER_SHIPPED, [order])
            _paid_elsewhere(order, "ship")
    if not shipped:
        raise OrderError(_("Only a paid order that has not shipped can be shipped."))


def order_mark_delivered(*, order: Order) -> None:
    with transaction.atomic():
        if not state.transition(order.pk, "complete"):
            raise OrderError(_("Only a shipped order can be marked delivered."))
        _paid_elsewhere(order, "complete")
