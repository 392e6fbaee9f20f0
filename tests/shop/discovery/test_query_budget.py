"""Pages read the summaries with a fixed number of queries, however many gifts there are."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    CategoryFactory,
    OccasionFactory,
    ProductImageFactory,
    SkuFactory,
    UserFactory,
)
from tests.gifts import gift_history

pytestmark = pytest.mark.django_db

BUDGET = 10


@pytest.fixture(autouse=True)
def _no_page_cache(settings) -> None:
    """The budget is for rendering a page; a page served from the cache runs none."""
    settings.PAGE_CACHE_SECONDS = 0


@pytest.fixture
def world(days_ago, recompute):
    """`grow(n)`: n more gifted products (shared senders, so "also gave" has rows), then a run."""
    top = CategoryFactory(slug="top")
    leaf = CategoryFactory(parent=top)
    senders = UserFactory.create_batch(2)
    OccasionFactory(slug="thanks", categories=[top])
    skus = []

    def grow(count: int):
        for n in range(count):
            sku = SkuFactory(product__category=leaf)
            ProductImageFactory(product=sku.product)
            for sender in senders:
                gift_history(sku, when=days_ago(1 + n % 10), units=1 + n % 3, sender=sender)
            skus.append(sku)
        recompute()
        return skus[0].product

    return grow


def _queries(client, url: str, params: dict | None = None) -> int:
    """Statements for a render with every cache empty (the category tree, listing counts,
    product cards): the most a page can run."""
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


PAGES = [
    ("catalogue:home", {}),
    ("discovery:gift_charts", {}),
    ("discovery:gift_charts", {"category": "top"}),
    ("discovery:gift_finder", {}),
    ("discovery:gift_finder", {"occasion": "thanks", "budget": "50-100", "category": "top"}),
]


@pytest.mark.parametrize(("name", "params"), PAGES)
def test_page_runs_the_same_few_queries_for_10_and_80_gifted_products(
    client, world, name: str, params: dict
) -> None:
    world(10)
    small = _queries(client, reverse(name), params)
    world(70)
    large = _queries(client, reverse(name), params)
    assert small == large <= BUDGET


def test_product_page_runs_the_same_few_queries_for_10_and_80_gifted_products(
    client, world
) -> None:
    product = world(10)
    url = reverse("catalogue:product_detail", args=[product.pk])
    small = _queries(client, url)
    world(70)
    large = _queries(client, url)
    assert small == large <= BUDGET


def test_send_page_runs_the_same_few_queries_for_10_and_80_gifted_products(client, world) -> None:
    product = world(10)
    client.force_login(UserFactory())
    url = reverse("gifting:send", args=[product.pk])
    small = _queries(client, url)
    world(70)
    large = _queries(client, url)
    assert small == large <= BUDGET + 2  # the session and the user


def test_merchant_dashboard_positions_take_two_queries(world) -> None:
    from shop.discovery.selectors import merchant_chart_positions

    product = world(10)
    with CaptureQueriesContext(connection) as ctx:
        positions = merchant_chart_positions(merchant=product.merchant)
        [entry.category for entry in positions.products]
        [entry.product.title for entry in positions.products]
    assert len(ctx.captured_queries) == 2
    assert positions.products
