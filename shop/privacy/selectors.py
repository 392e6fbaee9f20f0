"""Reads for personal data: what we hold about a shopper, for their download."""

from django.db.models import Prefetch

from gifting.models import Gift, GiftClaim
from gifting.selectors import claims_for_sender
from shop.accounts.models import User
from shop.accounts.services import ADDRESS_FIELDS
from shop.orders.models import Order

from .models import RightsRequest

# Orders that ended without a delivery: nothing more will happen to their parcel.
ENDED_UNDELIVERED = [Order.Status.CANCELLED, Order.Status.REFUNDED]


def parcel_done(order: Order) -> bool:
    """Delivered, or ended without delivery: the address has served its purpose."""
    return order.delivered_at is not None or order.status in ENDED_UNDELIVERED


def deletion_waiting(*, user: User) -> RightsRequest | None:
    return RightsRequest.objects.filter(
        user=user, kind=RightsRequest.Kind.ACCOUNT_DELETION, status=RightsRequest.Status.WAITING
    ).first()


def _address(row: object) -> dict:
    return {field: getattr(row, field) for field in ADDRESS_FIELDS}


def _when(value: object) -> str | None:
    return value.isoformat() if value else None


def shopper_data(*, user: User) -> dict:
    """Account, address book, orders, gifts sent and received, consents: JSON-ready.

    A gift's recipients are other people: the sender gets what the gift page shows them
    (a masked name and the city), never their address or phone.
    """
    orders = Order.objects.filter(user=user).select_related("merchant").prefetch_related("lines")
    sent = (
        Gift.objects.filter(sender=user)
        .select_related("sku__product")
        .prefetch_related(Prefetch("claims", queryset=GiftClaim.objects.select_related("order")))
    )
    received = GiftClaim.objects.filter(user=user).select_related("gift", "sku__product", "order")
    return {
        "account": {
            "email": user.email,
            "name": user.name,
            "date_joined": _when(user.date_joined),
            "last_login": _when(user.last_login),
        },
        "addresses": [{**_address(a), "is_default": a.is_default} for a in user.addresses.all()],
        "orders": [
            {
                "number": o.number,
                "merchant": o.merchant.name,
                "status": o.status,
                "total": str(o.total),
                "refunded": str(o.refunded_amount),
                "placed_at": _when(o.created_at),
                "paid_at": _when(o.paid_at),
                "shipped_at": _when(o.shipped_at),
                "delivered_at": _when(o.delivered_at),
                "shipping_address": _address(o),
                "lines": [
                    {
                        "product": line.product_title,
                        "variant": line.sku_label,
                        "unit_price": str(line.unit_price),
                        "quantity": line.quantity,
                    }
                    for line in o.lines.all()
                ],
            }
            for o in orders
        ],
        "gifts_sent": [
            {
                "id": g.pk,
                "product": g.sku.product.title,
                "units": g.quantity,
                "units_claimed": g.units_claimed,
                "amount": str(g.amount),
                "refunded": str(g.refunded_amount),
                "status": g.status,
                "from": g.sender_name,
                "message": g.message,
                "created_at": _when(g.created_at),
                "recipients": [
                    {"name": c.name, "city": c.city, "order_status": c.order_status}
                    for c in claims_for_sender(g)
                ],
            }
            for g in sent
        ],
        "gifts_received": [
            {
                "from": c.gift.sender_name,
                "message": c.gift.message,
                "product": c.sku.product.title,
                "accepted_at": _when(c.claimed_at),
                "order": c.order.number,
                "delivery_address": _address(c),
            }
            for c in received
        ],
        "consents": [
            {
                "purpose": c.purpose,
                "notice_version": c.notice.version,
                "given_at": _when(c.given_at),
            }
            for c in user.consents.select_related("notice")
        ],
    }
