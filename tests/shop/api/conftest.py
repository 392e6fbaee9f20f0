"""Fixtures for the partner API contract tests: two partners, A and B, each with a world.

Everything is built through the real services and the API itself (keys, balance top-ups,
checkout paid in the sandbox, gifts sent through `POST /api/v1/gifts/`), so the rows look
exactly as production makes them. A and B must never see each other's objects.
"""

import json
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from merchants.models import Merchant
from shop.catalogue.models import Category, Product, Sku
from shop.orders.models import Order
from shop.partners.models import Partner, WebhookDelivery
from tests.factories import CategoryFactory, ProductFactory, SkuFactory, jpeg_bytes
from tests.merchants.world import ADDRESSES, place_order
from tests.partners import Api, api_for, managed_merchant

PROBLEM = "application/problem+json"
USCC = {"A": "91350100M000100Y43", "B": "91110000600037341L"}


def body(response: object) -> dict:
    return json.loads(response.content)


def assert_problem(response: object, status: int, slug: str) -> dict:
    """The response is RFC 9457 problem details of this status and type; returns it."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    problem = body(response)
    assert problem["status"] == status
    assert problem["type"].endswith(f"/api/problems/{slug}/")
    assert isinstance(problem["title"], str) and problem["title"]
    assert isinstance(problem["detail"], str) and problem["detail"]
    return problem


def licence(content: bytes | None = None, name: str = "licence.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes() if content is None else content, "image/jpeg")


def application_form(category: Category, **changes: object) -> dict:
    data = {
        "legal_name": "杭州好礼贸易有限公司",
        "shop_name": "好礼小店",
        "uscc": USCC["A"],
        "contact_name": "王芳",
        "contact_phone": "138 0013 8000",
        "email": "owner@example.com",
        "categories": [f"cat_{category.pk}"],
        "licence": licence(),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def send_gift(api: Api, sku: Sku, **changes: object) -> object:
    payload = {
        "sku": f"sku_{sku.pk}",
        "quantity": 1,
        "message": "生日快乐！",
        "sender_name": "品牌",
        "allow_variant_choice": False,
    }
    payload.update(changes)
    return api.post("/api/v1/gifts/", payload)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate limits and key-use stamps live in the cache: no test inherits another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def top_category(db: None) -> Category:
    return CategoryFactory(name="礼品", name_en="Gifts", giftable=True)


@dataclass
class Side:
    """One partner's world: its merchant's catalogue and orders, its gifts and so on."""

    key: str
    partner: Partner
    api: Api
    merchant: Merchant
    category: Category  # a giftable subcategory the merchant sells in
    product: Product  # listed
    draft: Product  # the merchant's, not listed: only its partner sees it
    sku: Sku
    draft_sku: Sku
    order: Order  # paid, waiting to ship
    gift: dict  # sent through the API
    application: dict  # submitted through the API
    endpoint: dict  # created through the API (with its secret)
    delivery: WebhookDelivery

    def refresh(self) -> None:
        self.partner.refresh_from_db()


def build_side(client: Client, key: str, top: Category) -> Side:
    partner, api = api_for(client, f"Partner {key}", balance="5000.00")
    merchant = managed_merchant(partner)
    category = CategoryFactory(parent=top, name=f"类别{key}", name_en=f"Category {key}")
    merchant.categories.add(category)
    product = ProductFactory(
        merchant=merchant, category=category, title=f"商品{key}", title_en=f"Product {key}"
    )
    draft = ProductFactory(
        merchant=merchant,
        category=category,
        title=f"草稿{key}",
        title_en=f"Draft {key}",
        status=Product.Status.DRAFT,
    )
    sku = SkuFactory(product=product, code=f"SKU-{key}", price=Decimal("100.00"), stock=50)
    draft_sku = SkuFactory(product=draft, code=f"DRAFT-{key}", price=Decimal("10.00"), stock=5)
    order = place_order(client, sku, address=ADDRESSES[key])
    endpoint = api.post(
        "/api/v1/webhook-endpoints/",
        {"url": f"https://hooks.example.com/{key}", "events": ["gift.cancelled"]},
    )
    assert endpoint.status_code == 201, endpoint.content
    gift = send_gift(api, sku, sender_name=f"Brand {key}")
    assert gift.status_code == 201, gift.content
    application = api.post_multipart(
        "/api/v1/merchant-applications/",
        application_form(category, uscc=USCC[key], shop_name=f"新店{key}"),
    )
    assert application.status_code == 201, application.content
    # A second gift, cancelled, so the endpoint has a delivery to list.
    cancelled = send_gift(api, sku)
    assert api.post(f"/api/v1/gifts/{body(cancelled)['id']}/cancel/").status_code == 200
    delivery = WebhookDelivery.objects.get(endpoint_id=int(body(endpoint)["id"].split("_")[1]))
    return Side(
        key=key,
        partner=partner,
        api=api,
        merchant=merchant,
        category=category,
        product=product,
        draft=draft,
        sku=sku,
        draft_sku=draft_sku,
        order=order,
        gift=body(gift),
        application=body(application),
        endpoint=body(endpoint),
        delivery=delivery,
    )


@pytest.fixture
def side_a(client: Client, top_category: Category) -> Side:
    return build_side(client, "A", top_category)


@pytest.fixture
def side_b(client: Client, top_category: Category) -> Side:
    return build_side(client, "B", top_category)
