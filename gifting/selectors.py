"""Reads for gifts. Sender-facing reads never include a recipient's address or phone."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from merchants.models import Merchant
from shop.catalogue import selectors as catalogue
from shop.catalogue.models import Product, ProductImage, Sku
from shop.core import compiled
from shop.core.privacy import mask_name

from . import tokens
from .models import Gift, GiftClaim, GiftEvent


def product_is_giftable(product: Product) -> bool:
    """Listed, of an active merchant, and in a giftable category (and parent category)."""
    category = product.category
    return (
        product.status == Product.Status.LISTED
        and product.merchant.status == Merchant.Status.ACTIVE
        and category.giftable
        and (category.parent is None or category.parent.giftable)
    )


def giftable_skus(product: Product, skus: list[Sku]) -> list[Sku]:
    """The SKUs that may be sent as a gift: on sale and within the unit price limit."""
    if not product_is_giftable(product):
        return []
    return [s for s in skus if s.is_active and s.price <= settings.GIFT_MAX_UNIT_PRICE]


@dataclass(frozen=True)
class GiftChoices:
    """What a gift or a chip-in can be made of, on one product's page."""

    product: Product
    skus: list[Sku]

    def sku_id(self, posted: int) -> int:
        """The posted SKU if it is one on offer here, else 0 (which the services refuse)."""
        return posted if any(sku.pk == posted for sku in self.skus) else 0


def gift_choices(*, pk: int) -> GiftChoices:
    """A visible product and the SKUs it can be given as; 404 when it cannot be given."""
    product = catalogue.product_detail(pk=pk)
    skus = giftable_skus(product, product.skus_on_sale)
    if not skus:
        raise Http404("Not giftable")
    return GiftChoices(product=product, skus=skus)


def claim_url(gift: Gift) -> str:
    """The link the sender shares (rebuilt from the stored salt; the token is not stored)."""
    return settings.SITE_URL + reverse("gifting:claim", args=[tokens.token_for(gift.token_salt)])


def tracking_url(claim: GiftClaim) -> str:
    """The recipient's private link to the parcel's status, on any device."""
    return settings.SITE_URL + reverse("gifting:track", args=[tokens.tracking_token(claim.pk)])


def claim_by_tracking_token(token: str) -> GiftClaim | None:
    claim_id = tokens.tracking_claim_id(token)
    if claim_id is None:
        return None
    return (
        GiftClaim.objects.select_related("gift", "order", "sku__product__merchant")
        .filter(pk=claim_id)
        .first()
    )


S = Gift.Status
PUBLIC_STATUSES = (
    "funding",
    "funding_failed",
    "awaiting_recipient",
    "accepted",
    "shipped",
    "delivered",
    "declined",
    "cancelled",
    "expired",
    "refunded",
)


CLOSED_UNCLAIMED = (S.DECLINED, S.CANCELLED, S.EXPIRED)


def past_deadline(now: datetime) -> Q:
    """Gifts still waiting for a recipient after their deadline: expired, whether or not
    the beat sweep has closed them yet (the link stopped working at the deadline)."""
    return Q(status=S.AWAITING_RECIPIENT, expires_at__lte=now)


def expired(now: datetime) -> Q:
    return Q(status=S.EXPIRED) | past_deadline(now)


@dataclass(frozen=True)
class GiftDisplay:
    """A gift as people are shown it; the sender and the recipient see the same truth."""

    status: str  # a Gift.Status value
    label: str
    is_live: bool  # the link works: show it, its QR code and the cancel button
    refund: str  # "" (nothing to give back), "pending" or "done"
    refund_amount: Decimal  # the unclaimed units' money, back or on its way


def gift_display_status(gift: Gift, now: datetime) -> GiftDisplay:
    """The one rule for a gift's shown state: past its deadline it is expired, and its
    unclaimed units' refund pending, even before the sweep closes it and creates the refund.
    The same rule as `with_public_status` in SQL."""
    status = gift.status
    if status == S.AWAITING_RECIPIENT and gift.expires_at is not None and gift.expires_at <= now:
        status = S.EXPIRED
    owed = gift.unit_price * gift.units_left if status in CLOSED_UNCLAIMED else Decimal("0")
    refund = ""
    if owed > 0:
        refund = "done" if gift.refunded_amount >= owed else "pending"
    return GiftDisplay(
        status=status,
        label=S(status).label,
        is_live=status == S.AWAITING_RECIPIENT,
        refund=refund,
        refund_amount=owed,
    )


def with_public_status(gifts: QuerySet[Gift]) -> QuerySet[Gift]:
    """Annotate `public_status`: the gift's status as a partner follows it.

    It goes on past `accepted` with the parcels (shipped once every claimed unit shipped,
    delivered once every one arrived), a gift past its deadline is `expired` (swept or
    not), and a closed gift becomes `refunded` once its unclaimed units' money is back.
    Computed in the query, so lists filter on it.
    """
    claims = GiftClaim.objects.filter(gift=OuterRef("pk"))
    return gifts.annotate(
        public_status=Case(
            When(past_deadline(timezone.now()), then=Value(S.EXPIRED.value)),
            # A chip-in gift that was not funded (in time, or cancelled first).
            When(Q(status=S.ABANDONED, chip_in__isnull=False), then=Value("funding_failed")),
            When(
                Q(status=S.ACCEPTED) & ~Exists(claims.filter(order__delivered_at__isnull=True)),
                then=Value("delivered"),
            ),
            When(
                Q(status=S.ACCEPTED) & ~Exists(claims.filter(order__shipped_at__isnull=True)),
                then=Value("shipped"),
            ),
            When(
                Q(status__in=CLOSED_UNCLAIMED)
                & Q(units_claimed__lt=F("quantity"))
                & Q(refunded_amount__gte=F("unit_price") * (F("quantity") - F("units_claimed"))),
                then=Value("refunded"),
            ),
            default=F("status"),
            output_field=CharField(),
        )
    )


# What the claim page and a claim need of the product: not its long texts, nor its search
# index (a few kilobytes a product).
_PRODUCT_TEXTS = [
    f"sku__product__{name}"
    for name in (
        "description",
        "description_en",
        "search_document",
        "search_title",
        "search_vector",
    )
]


def gift_by_token(token: str) -> Gift | None:
    """The gift a claim link names, with all the claim page and a claim use, in one
    statement: its SKU, product (with its category and merchant), stock, sender, chip-in
    and the product's cover picture (`gift_cover`)."""
    if not token or len(token) > 100:
        return None
    found = compiled.objects(
        "gift-by-token",
        Gift,
        lambda digest: _claimable_gifts().filter(token_hash=digest),
        tokens.token_hash(token),
        limit=1,  # the hash is unique: no ORDER BY, unlike first()
    )
    return next(iter(found), None)


def _claimable_gifts() -> QuerySet[Gift]:
    """What `gift_by_token` reads, compiled once per process: compiling it was a third of
    the claim page's time."""
    covers = ProductImage.objects.filter(product_id=OuterRef("sku__product_id")).order_by(
        "position", "pk"
    )
    return (
        Gift.objects.select_related(
            "sku__product__merchant", "sku__product__category", "sku__stock", "sender", "chip_in"
        )
        .defer(*_PRODUCT_TEXTS)
        .annotate(
            cover_id=Subquery(covers.values("pk")[:1]),
            cover_image=Subquery(covers.values("image")[:1]),
            cover_thumbnail=Subquery(covers.values("thumbnail")[:1]),
        )
        .exclude(
            status__in=[Gift.Status.PENDING_PAYMENT, Gift.Status.ABANDONED, Gift.Status.FUNDING]
        )
    )


def gift_cover(gift: Gift) -> ProductImage | None:
    """The product's first picture, as `gift_by_token` read it along with the gift."""
    if getattr(gift, "cover_id", None) is None:
        return None
    return ProductImage(
        pk=gift.cover_id,
        product_id=gift.sku.product_id,
        image=gift.cover_image,
        thumbnail=gift.cover_thumbnail,
    )


def gift_variants(gift: Gift) -> list[Sku]:
    """What a recipient may pick: the gift's SKU, or any on-sale SKU of the product priced
    at most what was paid (only when the sender allowed a choice)."""
    if not gift.allow_variant_choice:
        return [gift.sku]
    return list(
        Sku.objects.filter(
            product_id=gift.sku.product_id, is_active=True, price__lte=gift.unit_price
        )
        .select_related("stock")
        .order_by("position", "pk")
    )


def gifts_sent(*, user: object) -> QuerySet[Gift]:
    return Gift.objects.filter(sender=user).select_related("sku__product").order_by("-created_at")


def gift_for_sender(*, user: object, pk: int) -> Gift:
    queryset = Gift.objects.select_related("sku__product", "payment").prefetch_related(
        Prefetch("events", queryset=GiftEvent.objects.order_by("created_at", "pk")),
        Prefetch(
            "claims", queryset=GiftClaim.objects.select_related("order").order_by("claimed_at")
        ),
    )
    return get_object_or_404(queryset, sender=user, pk=pk)


@dataclass(frozen=True)
class ClaimSeenBySender:
    """What the sender may know about a recipient: a masked name, the city, the parcel."""

    name: str
    city: str
    claimed_at: object
    order_status: str
    order_status_display: str


def claims_for_sender(gift: Gift) -> list[ClaimSeenBySender]:
    return [
        ClaimSeenBySender(
            name=mask_name(c.recipient_name),
            city=c.city,
            claimed_at=c.claimed_at,
            order_status=c.order.status,
            order_status_display=c.order.get_status_display(),
        )
        for c in gift.claims.all()
    ]


def gifts_received(*, user: object) -> QuerySet[GiftClaim]:
    return (
        GiftClaim.objects.filter(user=user)
        .select_related("gift", "sku__product", "order")
        .order_by("-claimed_at")
    )


def claims_by_ids(*, gift: Gift, ids: list[int]) -> list[GiftClaim]:
    return list(GiftClaim.objects.filter(gift=gift, pk__in=ids).select_related("order", "sku"))


def payment_return_path(payment: object) -> str:
    """Where a sender comes back to after paying for a gift (see payments.selectors)."""
    gift = Gift.objects.filter(payment=payment).only("pk").first()
    return reverse("gifting:sent_detail", args=[gift.pk]) if gift else reverse("gifting:sent_list")
