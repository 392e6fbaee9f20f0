"""Reads for gift discovery: the newest snapshot only, one query per list.

Every list reads the newest `ChartRun` through a subquery instead of looking it up first,
and applies the shop's live rules on top of the snapshot (a product delisted, sold out or
made non-giftable since the last run disappears at once, without waiting for beat).
"""

from dataclasses import dataclass
from decimal import Decimal
from functools import cache as cache_in_process

from django.conf import settings
from django.db.models import (
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Least

from merchants.models import Merchant
from shop.catalogue.models import Category, Product, ProductImage, Sku
from shop.catalogue.selectors import (
    Card,
    cards,
    category_tree,
    product_visible,
    with_card_data,
)
from shop.core import page_cache

from .models import (
    UNKNOWN_ACCEPTANCE,
    AlsoGivenEntry,
    ChartRun,
    GiftChartEntry,
    Occasion,
    ProductGiftStats,
    RisingBrandEntry,
)

STOCK_ENOUGH = 10
"""Units in stock from which stock no longer raises a product in the gift finder."""


def _latest_run() -> Subquery:
    return Subquery(ChartRun.objects.order_by("-pk").values("pk")[:1])


def _cover() -> Subquery:
    images = ProductImage.objects.filter(product=OuterRef("product_id")).order_by("position", "pk")
    return Subquery(images.values("thumbnail")[:1])


CHART_CACHE_SECONDS = 60
"""How long a chart's entries are reused between recomputes. A recompute landing and a
takedown drop them at once, with the cached pages (`page_cache.invalidate_all`); the
lifetime bounds what else a row shows (a renamed product, a new cover). Home, the chart
page and every empty search read the same few lists, which cost a fifth of each render."""


def gift_chart(*, category: Category | None = None, limit: int = 10) -> list[GiftChartEntry]:
    """The gift chart (送礼榜), overall or for one category: most accepted gifts in 7 days.

    Entries carry `product` (with `merchant` and `category`), `category`, `run` (for
    `computed_at`) and `cover`, the product's thumbnail name. One query, or none while
    cached (CHART_CACHE_SECONDS).
    """
    return page_cache.generational(
        f"discovery:chart:{category and category.pk}:{limit}",
        lambda: _gift_chart(category, limit),
        CHART_CACHE_SECONDS,
        keep_in_process=True,
    )


def _gift_chart(category: Category | None, limit: int) -> list[GiftChartEntry]:
    entries = GiftChartEntry.objects.filter(
        run=_latest_run(),
        product__status=Product.Status.LISTED,
        product__merchant__status=Merchant.Status.ACTIVE,
    )
    entries = (
        entries.filter(category=category) if category else entries.filter(category__isnull=True)
    )
    return list(
        entries.select_related("run", "category", "product__merchant", "product__category")
        .annotate(cover=_cover())
        .order_by("rank", "product_id")[:limit]
    )


def rising_brands(*, limit: int = 10) -> list[RisingBrandEntry]:
    """Rising brands (品牌飙升榜): merchants by growth of accepted gifts, week on week.

    Entries carry `merchant` and `run`. One query, or none while cached (as the chart).
    """
    return page_cache.generational(
        f"discovery:rising:{limit}",
        lambda: _rising_brands(limit),
        CHART_CACHE_SECONDS,
        keep_in_process=True,
    )


def _rising_brands(limit: int) -> list[RisingBrandEntry]:
    entries = RisingBrandEntry.objects.filter(
        run=_latest_run(), merchant__status=Merchant.Status.ACTIVE
    ).select_related("run", "merchant")
    return list(entries.order_by("rank", "merchant_id")[:limit])


@dataclass(frozen=True)
class ChartPositions:
    """Where one merchant's products stand on the charts, for its dashboard."""

    products: list[GiftChartEntry]
    rising: RisingBrandEntry | None


def merchant_chart_positions(*, merchant: Merchant) -> ChartPositions:
    """The merchant's products on every gift chart, and its rising-brands place (two queries)."""
    products = (
        GiftChartEntry.objects.filter(run=_latest_run(), product__merchant=merchant)
        .select_related("category", "product")
        .order_by(F("category_id").asc(nulls_first=True), "rank", "product_id")
    )
    rising = RisingBrandEntry.objects.filter(run=_latest_run(), merchant=merchant).first()
    return ChartPositions(products=list(products), rising=rising)


def chart_categories() -> list[Category]:
    """The top-level giftable categories, for the chart page's tabs (from the cached tree)."""
    return [top for top in category_tree() if top.giftable]


def _giftable(
    *, price_min: Decimal | None = None, price_max: Decimal | None = None
) -> QuerySet[Product]:
    """Products a shopper can send as a gift now, with a SKU in stock (and in the budget)."""
    limit = settings.GIFT_MAX_UNIT_PRICE
    skus = Sku.objects.filter(
        product=OuterRef("pk"),
        is_active=True,
        price__lte=min(limit, price_max) if price_max is not None else limit,
        stock__quantity__gt=0,
    )
    if price_min is not None:
        skus = skus.filter(price__gte=price_min)
    return product_visible().filter(
        Exists(skus),
        Q(category__parent__isnull=True) | Q(category__parent__giftable=True),
        category__giftable=True,
    )


def also_given(*, product: Product, limit: int = 6) -> list[Card]:
    """ "People who gave this also gave…": the cards of giftable products in stock, most
    shared senders first.

    Two queries at most: the run's few entries for this product (reused until the next run
    lands, see `_also_given_ranks`), then those products under the shop's live rules, read
    fresh. Not one query driven by every giftable product, whose cost grew
    with the catalogue, nor one with the entries as a subquery, which PostgreSQL took
    longer to plan than to run.
    """
    ranks = page_cache.generational(
        f"discovery:also-given:{product.pk}",
        lambda: _also_given_ranks(product),
        CHART_CACHE_SECONDS,
    )
    if not ranks:
        return []
    price_limit = settings.GIFT_MAX_UNIT_PRICE
    found = cards(
        ("also-given", price_limit, tuple(ranks)),
        lambda: _giftable_cards(price_limit).filter(pk__in=list(ranks)).order_by("pk"),
    )
    return sorted(found, key=lambda card: ranks[card.pk])[:limit]


def _also_given_ranks(product: Product) -> dict[int, int]:
    """The newest run's "also given" products for `product`, with their ranks: fixed for
    the run, so reused until the next one lands."""
    entries = AlsoGivenEntry.objects.filter(run=_latest_run(), product=product)
    return dict(entries.order_by("rank").values_list("other_id", "rank"))


@cache_in_process
def _giftable_cards(price_limit: Decimal) -> QuerySet[Product]:
    """Giftable products with card data, built once per process and price limit (its
    subqueries cost a product page two milliseconds to build). Only copies are evaluated:
    each use filters it."""
    return with_card_data(_giftable(price_max=price_limit))


@dataclass(frozen=True)
class Budget:
    """A price range in CNY for one unit; `None` leaves that end open."""

    low: Decimal | None
    high: Decimal | None


def gift_finder(
    *,
    occasion: Occasion | None = None,
    budget: Budget | None = None,
    category: Category | None = None,
    limit: int = 24,
) -> list[Product]:
    """Giftable products in stock for an occasion, a budget and a category, best first.

    The order: the smoothed acceptance rate (gifts people accept first), raised by up to
    2× for recent volume (`ProductGiftStats.score`), times a stock factor from 0.55 (one
    left) to 1 (`STOCK_ENOUGH` or more). Products never gifted count as 50 % accepted.
    One query; products carry card data and `acceptance`.
    """
    budget = budget or Budget(low=None, high=None)
    products = _giftable(price_min=budget.low, price_max=budget.high)
    if occasion is not None:
        suits = occasion.categories.all()
        products = products.filter(Q(category__in=suits) | Q(category__parent__in=suits))
    if category is not None:
        products = products.filter(Q(category=category) | Q(category__parent=category))
    stats = ProductGiftStats.objects.filter(run=_latest_run(), product=OuterRef("pk"))
    products = with_card_data(
        products.annotate(
            acceptance=Coalesce(
                Subquery(stats.values("acceptance")[:1]), Value(UNKNOWN_ACCEPTANCE)
            ),
            gift_score=Coalesce(Subquery(stats.values("score")[:1]), Value(UNKNOWN_ACCEPTANCE)),
        )
    )
    stock = Cast(Least(F("stock_total"), Value(STOCK_ENOUGH)), FloatField())
    ranked = products.annotate(
        finder_rank=F("gift_score") * (Value(0.5) + stock / Value(2.0 * STOCK_ENOUGH))
    )
    return list(ranked.order_by("-finder_rank", "pk")[:limit])


def occasions() -> list[Occasion]:
    return list(Occasion.objects.all())
