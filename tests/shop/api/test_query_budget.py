"""List endpoints cost a fixed number of SQL queries, however many rows a page holds."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from gifting import services as gifting
from shop.orders import services as orders
from tests.factories import CategoryFactory, ProductFactory, SkuFactory
from tests.gifts import recipient
from tests.merchants.world import place_order
from tests.partners import api_for, managed_merchant

from .conftest import body, send_gift

pytestmark = pytest.mark.django_db


def queries_for(api, path: str, expected_rows: int, **params) -> int:
    api.get(path, **params)  # warm up: the key's once-a-minute `last_used_at` stamp
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path, **params)
    assert response.status_code == 200
    assert len(body(response)["results"]) == expected_rows
    return len(captured)


@pytest.fixture
def provider(client: Client) -> dict:
    partner, api = api_for(client, "Provider", balance="100000.00")
    return {"partner": partner, "api": api, "merchant": managed_merchant(partner)}


def add_products(merchant, n: int) -> None:
    parent = CategoryFactory()
    for i in range(n):
        product = ProductFactory(merchant=merchant, category=CategoryFactory(parent=parent))
        SkuFactory(product=product, stock=i)
        SkuFactory(product=product, stock=i + 1)


def test_products_list_is_a_fixed_number_of_queries(provider) -> None:
    add_products(provider["merchant"], 2)
    few = queries_for(provider["api"], "/api/v1/products/", 2)
    add_products(provider["merchant"], 18)
    many = queries_for(provider["api"], "/api/v1/products/", 20)
    assert many == few


def add_orders(client: Client, merchant, n: int) -> None:
    sku = SkuFactory(product=ProductFactory(merchant=merchant), stock=100)
    for _ in range(n):
        place_order(client, sku)


def test_orders_list_is_a_fixed_number_of_queries(client, provider) -> None:
    add_orders(client, provider["merchant"], 2)
    few = queries_for(provider["api"], "/api/v1/orders/", 2)
    add_orders(client, provider["merchant"], 18)
    many = queries_for(provider["api"], "/api/v1/orders/", 20)
    assert many == few


def add_gifts(api, n: int) -> None:
    for _ in range(n):
        sku = SkuFactory(product=ProductFactory(), price=Decimal("10.00"), stock=5)
        data = body(send_gift(api, sku, quantity=2))
        gift = gifting.Gift.objects.get(pk=int(data["id"].removeprefix("gift_")))
        order = gifting.gift_claim(gift=gift, recipient=recipient(), sku_id=None, user=None).order
        orders.order_ship(order=order, carrier="顺丰", tracking_number="SF")


def test_gifts_list_is_a_fixed_number_of_queries(provider) -> None:
    add_gifts(provider["api"], 2)
    few = queries_for(provider["api"], "/api/v1/gifts/", 2)
    add_gifts(provider["api"], 18)
    many = queries_for(provider["api"], "/api/v1/gifts/", 20)
    assert many == few


def test_gifts_list_filtered_by_status_is_a_fixed_number_of_queries(provider) -> None:
    add_gifts(provider["api"], 2)
    few = queries_for(provider["api"], "/api/v1/gifts/", 2, status="awaiting_recipient")
    add_gifts(provider["api"], 18)
    many = queries_for(provider["api"], "/api/v1/gifts/", 20, status="awaiting_recipient")
    assert many == few


def test_a_gifts_detail_is_a_fixed_number_of_queries_however_many_claims(provider) -> None:
    api = provider["api"]
    sku = SkuFactory(price=Decimal("10.00"), stock=100)
    data = body(send_gift(api, sku, quantity=30))
    gift = gifting.Gift.objects.get(pk=int(data["id"].removeprefix("gift_")))

    def claim(n: int) -> None:
        for _ in range(n):
            gift.refresh_from_db()
            phone = f"139{gift.units_claimed:08d}"
            gifting.gift_claim(gift=gift, recipient=recipient(phone=phone), sku_id=None, user=None)

    def measure() -> int:
        path = f"/api/v1/gifts/{data['id']}/"
        api.get(path)
        with CaptureQueriesContext(connection) as captured:
            assert api.get(path).status_code == 200
        return len(captured)

    claim(2)
    few = measure()
    claim(18)
    assert measure() == few


def test_balance_and_webhook_lists_are_a_fixed_number_of_queries(provider) -> None:
    api = provider["api"]
    for i in range(2):
        api.post(
            "/api/v1/webhook-endpoints/",
            {"url": f"https://h.example.com/{i}", "events": ["order.paid"]},
        )
    few = queries_for(api, "/api/v1/webhook-endpoints/", 2)
    for i in range(18):
        api.post(
            "/api/v1/webhook-endpoints/",
            {"url": f"https://h.example.com/x{i}", "events": ["order.paid"]},
        )
    assert queries_for(api, "/api/v1/webhook-endpoints/", 20) == few


def test_sending_a_gift_is_a_fixed_list_of_statements(provider) -> None:
    sku = SkuFactory(product=ProductFactory(merchant=provider["merchant"]), stock=10)
    send_gift(provider["api"], sku)  # warm up: the key's once-a-minute `last_used_at` stamp
    with CaptureQueriesContext(connection) as captured:
        response = send_gift(provider["api"], sku)
    assert response.status_code == 201
    assert body(response)["status"] == "awaiting_recipient"
    # The key, the SKU; then one transaction (a savepoint in this test's): the stock,
    # the payment, the gift, its events, the balance and its ledger row, the payment
    # marked paid. Nothing is read back.
    assert " ".join(q["sql"].split(None, 1)[0] for q in captured) == (
        "SELECT SELECT SAVEPOINT UPDATE INSERT INSERT INSERT UPDATE INSERT UPDATE RELEASE"
    ), [q["sql"][:80] for q in captured]
