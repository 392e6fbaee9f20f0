"""The storefront's query counts are fixed: they must not grow with the catalogue."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shop.catalogue import services
from shop.catalogue.models import Product
from tests.factories import CategoryFactory, ProductFactory, ProductImageFactory, SkuFactory

pytestmark = pytest.mark.django_db

BUDGET = 8


@pytest.fixture(autouse=True)
def _no_page_cache(settings) -> None:
    """The budget is for rendering a page; a page served from the cache runs none."""
    settings.PAGE_CACHE_SECONDS = 0


def _catalogue(count: int) -> None:
    category = CategoryFactory(parent=CategoryFactory())
    products = ProductFactory.create_batch(count, category=category)
    for product in products:
        SkuFactory(product=product)
        SkuFactory(product=product)
    for product in products[:5]:
        ProductImageFactory(product=product)
    services.product_search_index_refresh(
        products=Product.objects.select_related("category", "merchant").filter(
            pk__in=[p.pk for p in products]
        )
    )


def _queries(client, url: str, params: dict | None = None) -> int:
    """Statements for a render with every cache empty (the category tree, listing counts,
    product cards): the most a page can run."""
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "Product"},
        {"q": "商品 prodct"},
        {"q": "no such thing"},
        {"sort": "price_asc", "page": "1"},
        {"category": "category-0"},
    ],
)
def test_listing_runs_the_same_few_queries_for_10_and_500_products(client, params: dict) -> None:
    _catalogue(10)
    small = _queries(client, reverse("catalogue:product_list"), params)
    _catalogue(490)
    large = _queries(client, reverse("catalogue:product_list"), params)
    assert small == large
    assert large <= BUDGET


@pytest.mark.parametrize("query", ["商品", "prod", "kafei"])
def test_suggestions_run_the_same_few_queries_for_10_and_500_products(client, query) -> None:
    _catalogue(10)
    small = _queries(client, reverse("catalogue:search_suggest"), {"q": query})
    _catalogue(490)
    large = _queries(client, reverse("catalogue:search_suggest"), {"q": query})
    assert small == large <= BUDGET


def test_home_runs_the_same_few_queries_for_10_and_500_products(client) -> None:
    _catalogue(10)
    small = _queries(client, reverse("catalogue:home"))
    _catalogue(490)
    large = _queries(client, reverse("catalogue:home"))
    assert small == large <= BUDGET


def test_product_page_runs_the_same_few_queries_for_1_and_30_skus(client) -> None:
    one = ProductFactory()
    SkuFactory(product=one)
    ProductImageFactory(product=one)
    many = ProductFactory()
    SkuFactory.create_batch(30, product=many)
    ProductImageFactory.create_batch(3, product=many)
    small = _queries(client, reverse("catalogue:product_detail", args=[one.pk]))
    large = _queries(client, reverse("catalogue:product_detail", args=[many.pk]))
    assert small == large <= BUDGET


@pytest.mark.parametrize("params", [{}, {"q": "Product"}])
def test_the_listing_and_product_page_never_load_the_search_vector(client, params: dict) -> None:
    _catalogue(3)
    product = Product.objects.first()
    for url, query in (
        (reverse("catalogue:product_list"), params),
        (reverse("catalogue:product_detail", args=[product.pk]), {}),
    ):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, query).status_code == 200
        # Ranking and matching use it in the database (ts_rank(…), WHERE … @@ …); loading
        # it names it as a column of the SELECT list, before the model's columns end.
        loaded = re.compile(r'(?<!\()"catalogue_product"\."search_vector"')
        selects = [q["sql"].split(" FROM ", 1)[0] for q in ctx.captured_queries]
        assert not [s for s in selects if loaded.search(s)], url
