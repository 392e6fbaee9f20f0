"""Who hears of each webhook event, and what its body says: the API's own representation.

Registered with `shop.webhooks.events` from `ApiConfig.ready`, so the outbox below the
domain never imports the API above it (Saleor keeps `webhook/payloads.py` the same way).
The audience is the partners that can `GET` the subject: the partner that sent a gift or
submitted an application, or those managing the merchant an order or product belongs
to. Each builder runs inside the transaction of the change, so the body equals what
`GET` answered at that moment.
"""

from collections.abc import Iterable, Sequence

from django.db.models import Prefetch

from gifting.models import Gift
from gifting.selectors import with_public_status
from merchants.models import MerchantApplication
from shop.catalogue.models import Product, Sku
from shop.orders.models import ChangeRequest, Order
from shop.partners.selectors import partners_of_merchant, with_timeline
from shop.webhooks import events

from .representations import (
    ApplicationSerializer,
    ChangeRequestSerializer,
    GiftDetailSerializer,
    GiftSerializer,
    OrderSerializer,
    ProductSerializer,
)

Items = Iterable[tuple[int, str, dict]]


def order_items(kind: str, orders: Sequence[Order]) -> Items:
    """order.* to the partners managing each order's merchant; a shipment of a gift a
    partner sent is also gift.shipped to that partner."""
    for order in orders:
        partner_ids = partners_of_merchant(order.merchant_id)
        if partner_ids:
            data = dict(
                OrderSerializer(Order.objects.prefetch_related("lines").get(pk=order.pk)).data
            )
            yield from ((partner_id, kind, data) for partner_id in partner_ids)
        if kind == events.ORDER_SHIPPED:
            gift_ids = Gift.objects.filter(claims__order=order, partner__isnull=False).values_list(
                "pk", flat=True
            )[:1]
            yield from gift_items(events.GIFT_SHIPPED, list(gift_ids))


def gift_items(kind: str, gift_ids: Sequence[int]) -> Items:
    """To the partner that sent each gift; the storefront's own gifts (most of them) are
    skipped by the query, which is one however many gifts (the expiry sweep reports a
    batch)."""
    gifts = Gift.objects.filter(pk__in=gift_ids, partner__isnull=False).select_related(
        "sku__product"
    )
    for gift in with_public_status(gifts).order_by("pk"):
        yield gift.partner_id, kind, dict(GiftSerializer(gift).data)


def application_items(kind: str, applications: Sequence[MerchantApplication]) -> Items:
    for application in applications:
        if application.partner_id:
            fresh = MerchantApplication.objects.prefetch_related("categories").get(
                pk=application.pk
            )
            yield application.partner_id, kind, dict(ApplicationSerializer(fresh).data)


def product_items(kind: str, products: Sequence[Product]) -> Items:
    skus = Sku.objects.select_related("stock").order_by("position", "pk")
    for product in products:
        partner_ids = partners_of_merchant(product.merchant_id)
        if not partner_ids:
            continue
        fresh = (
            Product.objects.select_related("category__parent", "merchant")
            .prefetch_related(Prefetch("skus", queryset=skus))
            .get(pk=product.pk)
        )
        data = dict(ProductSerializer(fresh).data)
        yield from ((partner_id, kind, data) for partner_id in partner_ids)


def gift_detail_items(kind: str, gift_ids: Sequence[int]) -> Items:
    """The gift as `GET /gifts/{id}/` answers it, timeline included: that is where a
    recipient's thank-you note is."""
    gifts = with_timeline(
        Gift.objects.filter(pk__in=gift_ids, partner__isnull=False).select_related("sku__product")
    )
    for gift in with_public_status(gifts).order_by("pk"):
        yield gift.partner_id, kind, dict(GiftDetailSerializer(gift).data)


def change_request_items(kind: str, requests: Sequence[ChangeRequest]) -> Items:
    """change_request.* to the partners managing the order's merchant (who answer it),
    without the address, as order.shipped carries none."""
    for request in requests:
        partner_ids = partners_of_merchant(request.order.merchant_id)
        if partner_ids:
            data = dict(ChangeRequestSerializer(ChangeRequest.objects.get(pk=request.pk)).data)
            yield from ((partner_id, kind, data) for partner_id in partner_ids)


def register() -> None:
    events.register([events.ORDER_PAID, events.ORDER_SHIPPED], order_items)
    events.register(
        [
            events.GIFT_ACCEPTED,
            events.GIFT_DECLINED,
            events.GIFT_EXPIRED,
            events.GIFT_CANCELLED,
            events.GIFT_REFUNDED,
            events.GIFT_SHIPPED,
            events.GIFT_FUNDED,
            events.GIFT_FUNDING_FAILED,
        ],
        gift_items,
    )
    events.register([events.GIFT_THANKED], gift_detail_items)
    events.register([events.APPLICATION_APPROVED, events.APPLICATION_REJECTED], application_items)
    events.register([events.PRODUCT_APPROVED, events.PRODUCT_REJECTED], product_items)
    events.register(
        [
            events.CHANGE_REQUESTED,
            events.CHANGE_APPROVED,
            events.CHANGE_REJECTED,
            events.CHANGE_EXPIRED,
        ],
        change_request_items,
    )
