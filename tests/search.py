"""Shared helpers for search tests: products indexed as the shop indexes them."""

from shop.catalogue import selectors, services
from shop.catalogue.models import Product, SearchSynonym
from shop.catalogue.synonyms import DEFAULTS
from tests.factories import ProductFactory, SkuFactory


def indexed(stock: int = 5, **kwargs: object) -> Product:
    """A listed product with one SKU of `stock` units, indexed for search."""
    product = ProductFactory(**kwargs)
    SkuFactory(product=product, stock=stock)
    services.product_search_index_refresh(
        products=Product.objects.select_related("category", "merchant").filter(pk=product.pk)
    )
    return product


def titles(query: str) -> set[str]:
    return {p.title for p in selectors.product_listing(query=query)}


def ensure_default_synonyms() -> None:
    """The shipped rules (a transactional test may have flushed what the migration wrote)."""
    for term, alternatives, kind in DEFAULTS:
        SearchSynonym.objects.get_or_create(
            term=term, defaults={"alternatives": alternatives, "kind": kind}
        )
