"""Reads for the storefront: query counts that do not grow with the catalogue."""

from django.db.models import Exists, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.shortcuts import get_object_or_404

from merchants.models import Merchant

from . import search
from .models import Category, Product, ProductImage, Sku

SORTS = {
    "newest": ("-created_at", "-pk"),
    "price_asc": ("min_price", "pk"),
    "price_desc": ("-min_price", "-pk"),
}


def product_visible() -> QuerySet[Product]:
    """What a shopper may see: listed products of active merchants."""
    return Product.objects.filter(
        status=Product.Status.LISTED, merchant__status=Merchant.Status.ACTIVE
    )


def category_tree() -> list[Category]:
    """Top-level categories with their subcategories (two queries)."""
    return list(
        Category.objects.filter(parent__isnull=True).prefetch_related(
            Prefetch("children", queryset=Category.objects.order_by("position", "pk"))
        )
    )


def category_get(*, slug: str) -> Category:
    return get_object_or_404(Category.objects.select_related("parent"), slug=slug)


def with_card_data(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """What a product card shows, in the same query: lowest price, stock and cover thumbnail.

    Correlated subqueries rather than a GROUP BY over the SKUs: PostgreSQL then works out
    card data only for the page of products shown (newest first walks the index and stops
    after 24), not for the whole catalogue before sorting and limiting.
    """
    cover = ProductImage.objects.filter(product=OuterRef("pk")).order_by("position", "pk")
    active = Sku.objects.filter(product=OuterRef("pk"), is_active=True)
    per_product = active.order_by().values("product")
    return (
        queryset.select_related("category", "merchant")
        .filter(Exists(active))
        .annotate(
            min_price=Subquery(per_product.annotate(v=Min("price")).values("v")),
            stock_total=Subquery(per_product.annotate(v=Sum("stock__quantity")).values("v")),
            cover=Subquery(cover.values("thumbnail")[:1]),
        )
    )


def product_listing(
    *, query: str = "", category: Category | None = None, sort: str = ""
) -> QuerySet[Product]:
    products = product_visible()
    if category is not None:
        products = products.filter(Q(category=category) | Q(category__parent=category))
    if query:
        products = search.filter_by_query(products, query)
    products = with_card_data(products)
    if sort in SORTS:
        return products.order_by(*SORTS[sort])
    if query and search.uses_full_text():
        return products.order_by("-rank", "-pk")
    return products.order_by("-created_at", "-pk")


def product_featured(*, limit: int = 8) -> list[Product]:
    products = with_card_data(product_visible().filter(featured=True))
    return list(products.order_by("-created_at", "-pk")[:limit])


def product_detail(*, pk: int) -> Product:
    """A visible product with its images and on-sale SKUs and their stock (three queries)."""
    skus = Sku.objects.filter(is_active=True).select_related("stock").order_by("position", "pk")
    queryset = (
        product_visible()
        .select_related("category__parent", "merchant")
        .prefetch_related("images", Prefetch("skus", queryset=skus, to_attr="skus_on_sale"))
    )
    return get_object_or_404(queryset, pk=pk)
