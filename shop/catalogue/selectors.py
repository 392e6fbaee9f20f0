"""Reads for the storefront: query counts that do not grow with the catalogue."""

import hashlib
import logging
from collections.abc import Callable
from decimal import Decimal
from functools import cache as cache_in_process
from typing import NamedTuple

from django.db import connections, router
from django.db.models import (
    Case,
    Exists,
    FloatField,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404

from merchants.models import Merchant
from shop.core import compiled, page_cache
from shop.core.i18n import pick_language
from shop.discovery.models import UNKNOWN_ACCEPTANCE, ChartRun, ProductGiftStats

from . import search
from .models import Category, Product, ProductImage, SearchSynonym, SearchWord, Sku

logger = logging.getLogger(__name__)

SORTS = {
    "newest": ("-created_at", "-pk"),
    "price_asc": ("min_price", "pk"),
    "price_desc": ("-min_price", "-pk"),
}


def product_visible() -> QuerySet[Product]:
    """What a shopper may see: listed products of active merchants.

    The search vector stays in the database: searching filters on it there, and no page
    shows it, while loading it costs each row a few kilobytes.
    """
    return Product.objects.filter(
        status=Product.Status.LISTED, merchant__status=Merchant.Status.ACTIVE
    ).defer("search_vector")


CATEGORY_TREE_KEY = "catalogue:category-tree"
CATEGORY_TREE_SECONDS = 300
"""How long the cached tree lives: saving or deleting a category drops it at once (see
apps.py), and so does a takedown; the lifetime bounds what a bulk update, which sends no
signal, could leave."""


def category_tree() -> list[Category]:
    """Top-level categories, each with its `subcategories` (a list): from the cache, else
    two queries.

    Every storefront page shows the tree (the search box's suggestions, the filters, the
    home page), and operators change it rarely, through the admin. A plain list rather
    than `children.all()`, whose manager cost every page a fraction of a millisecond.
    """
    return page_cache.generational(
        CATEGORY_TREE_KEY, _category_tree, CATEGORY_TREE_SECONDS, keep_in_process=True
    )


def _category_tree() -> list[Category]:
    return list(
        Category.objects.filter(parent__isnull=True).prefetch_related(
            Prefetch(
                "children",
                queryset=Category.objects.order_by("position", "pk"),
                to_attr="subcategories",
            )
        )
    )


def category_tree_forget(**_signal: object) -> None:
    """The next `category_tree()` reads the database (a category was saved or deleted)."""
    page_cache.forget(CATEGORY_TREE_KEY)


LISTING_COUNT_SECONDS = 30
"""How long a listing's product count is reused. Counting reads every matching product,
so its cost grows with the catalogue; the count may lag a newly listed product by this
much (a takedown drops it at once, with the cached pages), the products shown never do."""


def listing_count(
    products: QuerySet[Product], *, query: str = "", category: Category | None = None
) -> int:
    """How many products `products` (a `product_listing(query=…, category=…)`) has."""
    key = (
        "catalogue:count:"
        + hashlib.sha256(f"{category and category.pk}|{query}".encode()).hexdigest()
    )
    return page_cache.generational(key, products.count, LISTING_COUNT_SECONDS)


def categories_flat(tree: list[Category]) -> list[Category]:
    """Every category of `tree` (a `category_tree()`), each top-level one before its
    subcategories."""
    return [c for top in tree for c in (top, *top.subcategories)]


def category_get(*, slug: str) -> Category:
    return get_object_or_404(Category.objects.select_related("parent"), slug=slug)


CARD_FIELDS = ("title", "title_en", "created_at", "merchant__name", "merchant__name_en")
"""The columns a product card shows (templates/includes/product_card.html), and the sort
key: no description, no search texts, nothing else of the merchant."""


def with_card_data(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """What a product card shows, in the same query: its columns (CARD_FIELDS), lowest
    price, stock and cover thumbnail.

    Correlated subqueries rather than a GROUP BY over the SKUs: PostgreSQL then works out
    card data only for the page of products shown (newest first walks the index and stops
    after 24), not for the whole catalogue before sorting and limiting.
    """
    cover = ProductImage.objects.filter(product=OuterRef("pk")).order_by("position", "pk")
    active = Sku.objects.filter(product=OuterRef("pk"), is_active=True)
    per_product = active.order_by().values("product")
    return (
        queryset.select_related("merchant")
        .only(*CARD_FIELDS)
        .filter(Exists(active))
        .annotate(
            min_price=Subquery(per_product.annotate(v=Min("price")).values("v")),
            stock_total=Subquery(per_product.annotate(v=Sum("stock__quantity")).values("v")),
            cover=Subquery(cover.values("thumbnail")[:1]),
        )
    )


class Card(NamedTuple):
    """What a product card shows (templates/includes/product_card.html), and nothing else:
    its rendering is cached under a digest of these values (`shop.core.fragments`)."""

    pk: int
    title: str
    title_en: str
    shop_name: str
    shop_name_en: str
    cover: str
    in_stock: bool
    min_price: Decimal

    @property
    def display_title(self) -> str:
        return pick_language(self.title, self.title_en)

    @property
    def shop_display_name(self) -> str:
        return pick_language(self.shop_name, self.shop_name_en)

    @classmethod
    def of(cls, product: Product) -> "Card":
        """The card of a product read `with_card_data`."""
        return cls(
            product.pk,
            product.title,
            product.title_en,
            product.merchant.name,
            product.merchant.name_en,
            product.cover or "",
            bool(product.stock_total),
            product.min_price,
        )


CARD_COLUMNS = (
    "pk",
    "title",
    "title_en",
    "merchant__name",
    "merchant__name_en",
    "cover",
    "stock_total",
    "min_price",
)
"""A Card's values, as `values_list` names them on a query `with_card_data`."""


def cards(key: tuple, build: Callable[[], QuerySet[Product]], **page: int) -> list[Card]:
    """The cards of `build()` (products `with_card_data`, ordered), read with SQL compiled
    once per process under `key`, which must name everything the query depends on;
    `page` is its `offset` and `limit` (`shop.core.compiled`)."""
    return [
        Card(pk, title, title_en, shop, shop_en, cover or "", bool(stock), price)
        for pk, title, title_en, shop, shop_en, cover, stock, price in compiled.rows(
            ("cards", *key), Product, lambda: build().values_list(*CARD_COLUMNS), **page
        )
    ]


@cache_in_process
def _visible_cards() -> QuerySet[Product]:
    """`with_card_data(product_visible())`, built once per process: building its three
    subqueries took a fifth of a listing's time. Never evaluated itself; each use filters
    a copy (querysets are copied on every filter), so threads share nothing they change."""
    return with_card_data(product_visible())


def visible_cards() -> QuerySet[Product]:
    """Visible products with card data, for a page to narrow."""
    return _visible_cards().all()


def product_listing(
    *, query: str = "", category: Category | None = None, sort: str = ""
) -> QuerySet[Product]:
    in_search_order = bool(query) and sort not in SORTS
    products = _searchable_cards().all() if in_search_order else visible_cards()
    if category is not None:
        products = products.filter(Q(category=category) | Q(category__parent=category))
    if query:
        products = product_search(products, query)
    if in_search_order:
        return products.order_by(*SEARCH_ORDER)
    if sort in SORTS:
        return products.order_by(*SORTS[sort])
    return products.order_by("-created_at", "-pk")


def listing_cards(
    *, query: str = "", category: Category | None = None, sort: str = "", offset: int, limit: int
) -> list[Card]:
    """A page of `product_listing(query=…, category=…, sort=…)` as cards."""
    corrections = search_corrections(query) if query else {}
    key = (
        "listing",
        query,
        tuple((word, tuple(found)) for word, found in sorted(corrections.items())),
        category and category.pk,
        sort if sort in SORTS else "",
    )
    return cards(
        key,
        lambda: product_listing(query=query, category=category, sort=sort),
        offset=offset,
        limit=limit,
    )


GIFTABLE = Q(category__giftable=True) & (
    Q(category__parent__isnull=True) | Q(category__parent__giftable=True)
)


def search_rules() -> list[search.Expansion]:
    """The operators' synonym rules, as the index applies them (one query)."""
    return [
        expansion
        for synonym in SearchSynonym.objects.all()
        for expansion in search.expansions(
            term=synonym.term,
            alternatives=synonym.alternatives,
            symmetric=synonym.kind == SearchSynonym.Kind.SYNONYM,
        )
    ]


_CORRECTIONS_SQL = """
SELECT q, word FROM (
    SELECT t.q, w.word, row_number() OVER (
        PARTITION BY t.q ORDER BY similarity(w.word, t.q) DESC, w.word
    ) AS n
    FROM unnest(%s::text[]) AS t(q)
    JOIN catalogue_searchword w ON similarity(w.word, t.q) >= %s
    WHERE NOT EXISTS (SELECT 1 FROM catalogue_searchword e WHERE e.word = t.q)
) AS ranked
WHERE n <= %s
ORDER BY q, n
"""


CORRECTIONS_SECONDS = 300
"""How long a query's corrections are reused. The lexicon only grows, and a word it gains
meanwhile is still matched as typed; only the extra alternatives may lag."""


def search_corrections(text: str) -> dict[str, list[str]]:
    """For each Latin word of `text` the catalogue does not have, the closest words it
    has by trigram similarity (cofee → coffee). One query whenever `text` has such words,
    then reused: the search page and its count both ask, and so does every shopper who
    types the same word."""
    words = search.latin_words(text)
    if not words:
        return {}
    key = "catalogue:corrections:" + hashlib.sha256(" ".join(words).encode()).hexdigest()
    return page_cache.generational(key, lambda: _search_corrections(words), CORRECTIONS_SECONDS)


def _search_corrections(words: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    if search.uses_full_text():
        with connections[router.db_for_read(SearchWord)].cursor() as cursor:
            cursor.execute(_CORRECTIONS_SQL, [words, search.TYPO_SIMILARITY, search.TYPO_CHOICES])
            for word, correction in cursor.fetchall():
                found.setdefault(word, []).append(correction)
        return found
    lexicon = list(SearchWord.objects.values_list("word", flat=True))
    known = set(lexicon)
    for word in words:
        if word in known:
            continue
        scored = sorted((-search.similarity(w, word), w) for w in lexicon)
        close = [w for score, w in scored if -score >= search.TYPO_SIMILARITY]
        if close:
            found[word] = close[: search.TYPO_CHOICES]
    return found


def product_search(
    products: QuerySet[Product], query: str, *, prefix: bool = False
) -> QuerySet[Product]:
    """`products` matching a shopper's query, typos corrected, annotated with `rank`."""
    return search.filter_by_query(
        products, query, corrections=search_corrections(query), prefix=prefix
    )


SEARCH_ORDER = ("-availability", "-rank", "-acceptance", "-pk")
"""Search results in the shop's order: giftable products in stock first, then other
products in stock, then sold-out ones; within each, the better match (`rank`, which
`product_search` adds), then the product recipients accept more often."""


@cache_in_process
def _searchable_cards() -> QuerySet[Product]:
    """Visible cards with what SEARCH_ORDER sorts on besides the match: `availability`
    (2, 1 or 0, reading the stock once) and `acceptance` (the gift statistics of the
    latest chart run). Built once per process, as `_visible_cards`."""
    latest = ChartRun.objects.order_by("-pk").values("pk")[:1]
    acceptance = ProductGiftStats.objects.filter(run=Subquery(latest), product=OuterRef("pk"))
    return visible_cards().annotate(
        availability=Case(
            When(
                stock_total__gt=0,
                then=Case(When(GIFTABLE, then=Value(2)), default=Value(1)),
            ),
            default=Value(0),
            output_field=IntegerField(),
        ),
        acceptance=Coalesce(
            Subquery(acceptance.values("acceptance")[:1]),
            Value(UNKNOWN_ACCEPTANCE),
            output_field=FloatField(),
        ),
    )


def product_featured(*, limit: int = 8) -> list[Card]:
    return cards(
        ("featured",),
        lambda: visible_cards().filter(featured=True).order_by("-created_at", "-pk"),
        limit=limit,
    )


def product_detail(*, pk: int) -> Product:
    """A visible product with its category, shop, `gallery` (its images) and `skus_on_sale`
    (with their stock): three queries. Plain queries rather than prefetches, whose
    machinery cost a product page as much as its queries."""
    found = compiled.objects("product-detail", Product, _product_details, pk)
    if not found:
        raise Http404("No product matches the given query.")
    product = found[0]
    product.gallery = compiled.objects("product-gallery", ProductImage, _gallery, pk)
    product.skus_on_sale = compiled.objects("product-skus", Sku, _skus_on_sale, pk)
    return product


def _product_details(pk: int) -> QuerySet[Product]:
    """What `product_detail` reads, compiled once per process (as the cards are): compiling
    the three queries cost the page more than running them. Not the search texts either."""
    return (
        product_visible()
        .filter(pk=pk)
        .select_related("category__parent", "merchant")
        .defer("search_document", "search_title")
    )


def _gallery(product_id: int) -> QuerySet[ProductImage]:
    return ProductImage.objects.filter(product_id=product_id).order_by("position", "pk")


def _skus_on_sale(product_id: int) -> QuerySet[Sku]:
    return (
        Sku.objects.filter(product_id=product_id, is_active=True)
        .select_related("stock")
        .order_by("position", "pk")
    )


def sku_with_product(pk: int | None) -> Sku | None:
    """A SKU with its product, the product's category (and its parent) and merchant, in
    one statement compiled once per process: for deciding whether it can be sent."""
    if pk is None:
        return None
    found = compiled.objects("sku-with-product", Sku, _sku_with_product, pk)
    return found[0] if found else None


def _sku_with_product(pk: int) -> QuerySet[Sku]:
    return (
        Sku.objects.filter(pk=pk)
        .select_related("product__category__parent", "product__merchant")
        .defer("product__search_vector", "product__search_document", "product__search_title")
    )


def _name_terms(*names: str) -> set[str]:
    return {
        term if search.is_chinese(term) else search.light_stem(term)
        for term in search.text_terms(" ".join(names), pinyin=True)
    }


def _name_matches(terms: set[str], query: str) -> bool:
    """Every run of the query starts one of the name's terms (so `ka` suggests 咖啡)."""
    wanted = search.runs(query)
    return bool(wanted) and all(
        any(
            term.startswith(run if search.is_chinese(run) else search.light_stem(run))
            for term in terms
        )
        for run in wanted
    )


def categories_matching(categories: list[Category], query: str, *, limit: int) -> list[Category]:
    """Categories of the tree whose names (Chinese, English or pinyin) the query starts."""
    return [
        c
        for c in categories_flat(categories)
        if _name_matches(_name_terms(c.name, c.name_en), query)
    ][:limit]


def shops_matching(query: str, *, limit: int) -> list[Merchant]:
    """Active shops whose names (Chinese, English or pinyin) the query starts (one query)."""
    shops = Merchant.objects.filter(status=Merchant.Status.ACTIVE).only("name", "name_en")
    return [
        m for m in shops.order_by("pk") if _name_matches(_name_terms(m.name, m.name_en), query)
    ][:limit]


def search_suggestions(query: str, *, limit: int = 5) -> dict[str, list]:
    """What the search box offers while a shopper types: products (the last word may be
    unfinished), categories and shops."""
    products = product_search(_searchable_cards().all(), query, prefix=True)
    return {
        "products": list(products.order_by(*SEARCH_ORDER)[:limit]),
        "categories": categories_matching(category_tree(), query, limit=limit),
        "shops": shops_matching(query, limit=limit),
    }


def closest_categories(categories: list[Category], query: str, *, limit: int = 4) -> list[Category]:
    """For a search that found nothing: categories sharing a character, a word start or a
    close English word with the query, else the first top-level ones."""
    close = []
    wanted = search.runs(query)
    for category in categories_flat(categories):
        names = f"{category.name} {category.name_en}".lower()
        score = max(
            (
                1.0
                if search.is_chinese(run) and set(run) & set(category.name)
                else max((search.similarity(run, w) for w in search.runs(names)), default=0.0)
                for run in wanted
            ),
            default=0.0,
        )
        if score >= search.TYPO_SIMILARITY:
            close.append((-score, category.position, category.pk, category))
    found = [c for *_, c in sorted(close, key=lambda row: row[:3])]
    return (found or list(categories))[:limit]


def did_you_mean(query: str, corrections: dict[str, list[str]]) -> str:
    """The query with each misspelt word replaced by its closest correction ('' if none)."""
    fixed = " ".join(corrections.get(run, [run])[0] for run in search.runs(query))
    return fixed if corrections and fixed != query.lower() else ""
