"""Anonymous storefront pages come from a one-second cache, without mixing up visitors."""

import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shop.catalogue.models import Product, StockRecord
from shop.core import page_cache
from tests.factories import ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> list[float]:
    """The cache's own clock, held still: a slow first render must not make the second
    visit look due for a refresh."""
    now = [1000.0]
    monkeypatch.setattr(page_cache, "time", SimpleNamespace(time=lambda: now[0]))
    return now


@pytest.fixture
def product_url() -> str:
    sku = SkuFactory(product=ProductFactory(title="山野咖啡豆"), price=Decimal("88.00"), stock=7)
    return reverse("catalogue:product_detail", args=[sku.product_id])


def _queries(client: Client, url: str, **headers: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.text


def test_a_second_anonymous_visit_runs_no_sql(product_url: str) -> None:
    first, _ = _queries(Client(), product_url)
    second, page = _queries(Client(), product_url)
    assert first > 0
    assert second == 0
    assert "山野咖啡豆" in page


def test_each_visitor_gets_a_csrf_token_that_works_on_the_cached_page(product_url) -> None:
    Client().get(product_url)
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(product_url).text
    token = TOKEN.search(page).group(1)
    assert "@@" not in page
    sku = re.search(r'name="sku" value="(\d+)"', page).group(1)
    added = visitor.post(
        reverse("cart:add"), {"sku": sku, "quantity": 1, "csrfmiddlewaretoken": token}
    )
    assert added.status_code == 302


def test_each_language_has_its_own_cached_page(client, product_url: str) -> None:
    assert "加入购物车" in Client().get(product_url, HTTP_ACCEPT_LANGUAGE="zh-hans").text
    assert "Add to cart" in Client().get(product_url, HTTP_ACCEPT_LANGUAGE="en").text
    assert "加入购物车" in Client().get(product_url, HTTP_ACCEPT_LANGUAGE="zh-hans").text


def test_a_visitor_with_a_cart_gets_a_fresh_page_with_their_messages(product_url: str) -> None:
    Client().get(product_url)
    shopper = Client()
    sku = re.search(r'name="sku" value="(\d+)"', shopper.get(product_url).text).group(1)
    shopper.post(reverse("cart:add"), {"sku": sku, "quantity": 1})
    queries, page = _queries(shopper, product_url, HTTP_ACCEPT_LANGUAGE="en")
    assert queries > 0
    assert "View cart" in page


def test_a_stock_change_shows_within_a_second(product_url: str, clock: list[float]) -> None:
    assert "7 in stock" in Client().get(product_url, HTTP_ACCEPT_LANGUAGE="en").text
    StockRecord.objects.update(quantity=3)
    assert "7 in stock" in Client().get(product_url, HTTP_ACCEPT_LANGUAGE="en").text
    clock[0] += 1.05
    assert "3 in stock" in Client().get(product_url, HTTP_ACCEPT_LANGUAGE="en").text


def test_invalidating_drops_every_cached_page_at_once(product_url: str) -> None:
    Client().get(product_url)
    Product.objects.update(title="桂花糕")
    page_cache.invalidate_all()
    assert "桂花糕" in Client().get(product_url).text


def test_while_one_request_refreshes_a_page_the_others_get_the_cached_copy(
    product_url: str, clock: list[float], monkeypatch
) -> None:
    Client().get(product_url)
    clock[0] = 1000.6  # past half its one-second life: due for a refresh
    monkeypatch.setattr(page_cache.cache, "add", lambda *args, **kwargs: False)  # lock taken
    assert _queries(Client(), product_url)[0] == 0
    clock[0] = 1002.0  # twice its lifetime: never served, whoever holds the lock
    assert _queries(Client(), product_url)[0] > 0
