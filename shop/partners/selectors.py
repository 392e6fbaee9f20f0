"""Reads for partners. Every query is scoped to one partner: what it created, or what
belongs to the merchants it manages (through each model's declared tenancy, as the admin
scopes merchant staff). Anything else is simply not found."""

import hashlib

from django.core.cache import cache
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from gifting.models import Gift, GiftEvent
from gifting.selectors import with_public_status
from merchants.models import MerchantApplication
from merchants.tenancy import owned_by
from shop.catalogue.models import Product, Sku
from shop.catalogue.selectors import product_visible
from shop.core import compiled
from shop.orders.models import ChangeRequest, Order

from .models import ApiKey, BalanceEntry, Partner, WebhookDelivery, WebhookEndpoint

LAST_USED_EVERY_SECONDS = 60


def key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_for(raw: str) -> ApiKey | None:
    """The live key for this bearer token (one indexed query), noting its use.

    `last_used_at` is written at most once a minute per key, so a busy key does not turn
    every read into a write.
    """
    if not raw or len(raw) > 200:
        return None
    found = compiled.objects("live-api-key", ApiKey, _live_keys, key_hash(raw), limit=1)
    api_key = found[0] if found else None  # the hash is unique: no ORDER BY
    if api_key is not None and cache.add(f"apikey-used:{api_key.pk}", 1, LAST_USED_EVERY_SECONDS):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())
    return api_key


def _live_keys(digest: str) -> QuerySet[ApiKey]:
    """What `api_key_for` reads, compiled once per process: compiling it cost each API
    request as much as the rest of authenticating it."""
    return ApiKey.objects.select_related("partner").filter(
        key_hash=digest, revoked_at__isnull=True, partner__is_active=True
    )


def managed(partner: Partner) -> QuerySet:
    """The ids of the merchants the partner manages, as a subquery."""
    return partner.merchants.values("pk")


def products(partner: Partner) -> QuerySet[Product]:
    """The public catalogue, plus every product of the partner's merchants (any status)."""
    visible = Q(pk__in=product_visible().values("pk")) | owned_by(Product, managed(partner))
    skus = Sku.objects.select_related("stock").order_by("position", "pk")
    return (
        Product.objects.filter(visible)
        .select_related("category__parent", "merchant")
        .prefetch_related(Prefetch("skus", queryset=skus))
    )


def managed_skus(partner: Partner) -> QuerySet[Sku]:
    return Sku.objects.filter(owned_by(Sku, managed(partner))).select_related("stock", "product")


def orders(partner: Partner) -> QuerySet[Order]:
    return (
        Order.objects.filter(owned_by(Order, managed(partner)))
        .select_related("merchant")
        .prefetch_related("lines")
    )


def change_requests(partner: Partner) -> QuerySet[ChangeRequest]:
    """Gift recipients' changes on the orders of the partner's merchants (it answers them)."""
    return ChangeRequest.objects.filter(owned_by(ChangeRequest, managed(partner))).select_related(
        "order"
    )


def gifts(partner: Partner) -> QuerySet[Gift]:
    return with_public_status(Gift.objects.filter(partner=partner).select_related("sku__product"))


def gift_sent(gift: Gift) -> Gift:
    """The gift `services.partner_gift_send` returned, as `gifts` reads one, without
    reading it back: just created and live, its public status is its status."""
    gift.public_status = gift.status
    return gift


def with_timeline(gifts: QuerySet[Gift]) -> QuerySet[Gift]:
    """What a gift's detail shows beside the gift: its timeline and its parcels."""
    return gifts.prefetch_related(
        Prefetch("events", queryset=GiftEvent.objects.order_by("created_at", "pk")),
        "claims__order",
    )


def gift_detail_queryset(partner: Partner) -> QuerySet[Gift]:
    return with_timeline(gifts(partner))


def balance_entries(partner: Partner) -> QuerySet[BalanceEntry]:
    return BalanceEntry.objects.filter(partner=partner)


def applications(partner: Partner) -> QuerySet[MerchantApplication]:
    return MerchantApplication.objects.filter(partner=partner).prefetch_related("categories")


def webhook_endpoints(partner: Partner) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(partner=partner, is_active=True)


def webhook_deliveries(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event")


def partners_of_merchant(merchant_id: int) -> list[int]:
    """The partners managing this merchant: those its orders' and products' events go to."""
    managing = Partner.merchants.through.objects
    return [
        partner_id
        for (partner_id,) in compiled.rows(
            "partners-of-merchant",
            Partner,
            lambda merchant: managing.filter(merchant_id=merchant).values_list("partner_id"),
            merchant_id,
        )
    ]
