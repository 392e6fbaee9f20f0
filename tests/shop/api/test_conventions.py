"""The contract's conventions, on every kind of response: problem details for errors,
money objects, zoned timestamps, opaque ids, cursor pages, idempotent POSTs, the schema
and the docs."""

import re
from datetime import datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.test import Client

from gifting.models import Gift
from shop.partners import services
from shop.partners.models import ApiKey, BalanceEntry, Partner
from tests.factories import SkuFactory
from tests.partners import Api, api_for

from .conftest import PROBLEM, assert_problem, body, send_gift

pytestmark = pytest.mark.django_db

MONEY = re.compile(r"^-?\d+\.\d{2}$")


def assert_money(value: object, amount: str | None = None) -> None:
    assert isinstance(value, dict) and set(value) == {"value", "currency"}, value
    assert isinstance(value["value"], str) and MONEY.match(value["value"]), value
    assert value["currency"] == "CNY"
    if amount is not None:
        assert value["value"] == amount


def assert_zoned(text: object) -> datetime:
    assert isinstance(text, str), text
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None and moment.utcoffset() is not None, text
    return moment


@pytest.fixture
def brand(client: Client) -> tuple[Partner, Api]:
    return api_for(client, "Brand", balance="5000.00")


# --- 401 --------------------------------------------------------------------------------


def test_a_request_without_a_key_is_401_problem_with_www_authenticate(client) -> None:
    response = client.get("/api/v1/gifts/")
    problem = assert_problem(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert set(problem) >= {"type", "title", "status", "detail"}
    assert problem["type"].startswith("http")


def test_a_garbage_key_is_401(client, brand) -> None:
    response = Api(client, "gsk_not-a-real-key").get("/api/v1/gifts/")
    assert_problem(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_another_auth_scheme_is_401(client, brand) -> None:
    _, api = brand
    response = client.get("/api/v1/gifts/", HTTP_AUTHORIZATION=f"Token {api.key}")
    assert_problem(response, 401, "unauthorized")


def test_a_revoked_key_is_401(client, brand) -> None:
    partner, api = brand
    assert api.get("/api/v1/balance/").status_code == 200
    services.api_key_revoke(api_key=ApiKey.objects.get(partner=partner))
    response = api.get("/api/v1/balance/")
    assert_problem(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_key_is_stored_only_as_its_hash(brand) -> None:
    partner, api = brand
    stored = ApiKey.objects.get(partner=partner)
    assert api.key not in (stored.key_hash, stored.prefix, stored.label)
    assert not ApiKey.objects.filter(key_hash=api.key).exists()


def test_a_post_without_a_key_is_401_and_does_nothing(client) -> None:
    sku = SkuFactory()
    response = client.post(
        "/api/v1/gifts/",
        {"sku": f"sku_{sku.pk}", "sender_name": "x"},
        content_type="application/json",
    )
    assert_problem(response, 401, "unauthorized")
    assert not Gift.objects.exists()


def test_the_problem_type_uri_resolves_to_its_description(client, brand) -> None:
    problem = body(client.get("/api/v1/gifts/"))
    path = "/" + problem["type"].split("://", 1)[1].split("/", 1)[1]
    described = client.get(path)
    assert described.status_code == 200
    assert body(described)["status"] == 401
    assert body(described)["title"] == problem["title"]


# --- 404 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/gifts/gift_999999/",
        "/api/v1/gifts/999999/",
        "/api/v1/gifts/gift_abc/",
        "/api/v1/gifts/gift_0001/",
        "/api/v1/gifts/sku_1/",
        "/api/v1/orders/ord_999999/",
        "/api/v1/products/prod_999999/",
        "/api/v1/merchant-applications/app_999999/",
        "/api/v1/webhook-endpoints/whe_999999/",
        "/api/v1/webhook-endpoints/whe_999999/deliveries/",
    ],
    ids=[
        "unknown",
        "bare-number",
        "not-digits",
        "leading-zeros",
        "wrong-prefix",
        "order",
        "product",
        "application",
        "endpoint",
        "deliveries",
    ],
)
def test_an_unknown_or_malformed_id_is_404_problem(brand, path) -> None:
    _, api = brand
    assert_problem(api.get(path), 404, "not-found")


def test_an_unknown_url_under_the_api_is_404_problem(brand) -> None:
    _, api = brand
    assert_problem(api.get("/api/v1/no-such-thing/"), 404, "not-found")


def test_a_method_the_endpoint_does_not_accept_is_405_problem(brand) -> None:
    _, api = brand
    response = api.delete("/api/v1/balance/")
    assert_problem(response, 405, "method-not-allowed")


# --- 409, 422, 402 ----------------------------------------------------------------------


def test_a_state_conflict_is_409_problem(brand) -> None:
    _, api = brand
    gift = body(send_gift(api, SkuFactory()))
    assert api.post(f"/api/v1/gifts/{gift['id']}/cancel/").status_code == 200
    assert_problem(api.post(f"/api/v1/gifts/{gift['id']}/cancel/"), 409, "conflict")


def test_invalid_input_is_422_problem_with_messages_per_field(brand) -> None:
    _, api = brand
    sku = SkuFactory()
    response = api.post("/api/v1/gifts/", {"sku": f"sku_{sku.pk}", "quantity": "many"})
    problem = assert_problem(response, 422, "validation")
    errors = problem["errors"]
    assert set(errors) == {"quantity", "sender_name"}
    assert all(isinstance(m, str) and m for messages in errors.values() for m in messages)


def test_a_body_that_is_not_json_is_a_problem(brand) -> None:
    _, api = brand
    response = api.client.post(
        "/api/v1/gifts/",
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.key}",
    )
    assert response.status_code in (400, 422)
    assert response["Content-Type"].startswith(PROBLEM)


def test_a_short_balance_is_402_problem(client) -> None:
    _, api = api_for(client, "Poor", balance="10.00")
    response = send_gift(api, SkuFactory(price=Decimal("99.00")))
    problem = assert_problem(response, 402, "insufficient-balance")
    assert "99.00" in problem["detail"]


# --- 429 --------------------------------------------------------------------------------


def test_a_key_over_its_rate_limit_gets_429_with_retry_after(brand, settings) -> None:
    settings.API_RATE_LIMIT = "3/min"
    cache.clear()
    _, api = brand
    assert [api.get("/api/v1/balance/").status_code for _ in range(3)] == [200, 200, 200]
    response = api.get("/api/v1/balance/")
    assert_problem(response, 429, "rate-limited")
    assert int(response["Retry-After"]) >= 1
    assert int(response["Retry-After"]) <= 60


def test_the_rate_limit_is_per_key(client, brand, settings) -> None:
    settings.API_RATE_LIMIT = "3/min"
    cache.clear()
    _, api = brand
    _, other = api_for(client, "Other")
    for _ in range(3):
        api.get("/api/v1/balance/")
    assert api.get("/api/v1/balance/").status_code == 429
    assert other.get("/api/v1/balance/").status_code == 200


# --- Value types ------------------------------------------------------------------------


def test_money_is_an_object_with_a_two_decimal_string_and_cny(brand) -> None:
    _, api = brand
    sku = SkuFactory(price=Decimal("199.00"))
    gift = body(send_gift(api, sku, quantity=2))
    assert_money(gift["unit_price"], "199.00")
    assert_money(gift["amount"], "398.00")
    balance = body(api.get("/api/v1/balance/"))
    assert_money(balance["available"], "4602.00")
    for entry in balance["entries"]:
        assert_money(entry["amount"])
        assert_money(entry["balance_after"])
    product = body(api.get(f"/api/v1/products/prod_{sku.product_id}/"))
    assert_money(product["skus"][0]["price"], "199.00")


def test_timestamps_are_iso_8601_with_a_zone(brand) -> None:
    _, api = brand
    sku = SkuFactory()
    gift = body(send_gift(api, sku))
    assert assert_zoned(gift["expires_at"]) > assert_zoned(gift["created"])
    detail = body(api.get(f"/api/v1/gifts/{gift['id']}/"))
    for event in detail["timeline"]:
        assert_zoned(event["at"])
    for entry in body(api.get("/api/v1/balance/"))["entries"]:
        assert_zoned(entry["created"])
    product = body(api.get(f"/api/v1/products/prod_{sku.product_id}/"))
    assert_zoned(product["created"])


def test_ids_are_opaque_strings(brand) -> None:
    _, api = brand
    sku = SkuFactory()
    gift = body(send_gift(api, sku))
    product = body(api.get(f"/api/v1/products/prod_{sku.product_id}/"))
    ids = [
        gift["id"],
        gift["sku"],
        product["id"],
        product["merchant"],
        product["category"],
        product["skus"][0]["id"],
        *(e["id"] for e in body(api.get("/api/v1/balance/"))["entries"]),
        *(c["id"] for c in body(api.get("/api/v1/categories/"))["results"]),
    ]
    for value in ids:
        assert isinstance(value, str), value
        assert not value.isdigit(), value


# --- Cursor pagination ------------------------------------------------------------------


def test_lists_are_cursor_pages_followed_to_the_end_without_gaps_or_repeats(brand) -> None:
    _, api = brand
    sku = SkuFactory(stock=100)
    sent = {body(send_gift(api, sku))["id"] for _ in range(5)}
    seen, pages = [], 0
    page = body(api.get("/api/v1/gifts/", limit=2))
    while True:
        pages += 1
        assert set(page) == {"results", "next"}
        assert len(page["results"]) <= 2
        seen += [g["id"] for g in page["results"]]
        if page["next"] is None:
            break
        assert page["next"].startswith("http")
        path = page["next"].split("testserver", 1)[1]
        page = body(api.client.get(path, HTTP_AUTHORIZATION=f"Bearer {api.key}"))
    assert pages == 3
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == sent


PAGED = {  # path: the most `limit` may be
    "/api/v1/gifts/": 200,
    "/api/v1/orders/": 200,
    "/api/v1/products/": 200,
    "/api/v1/balance/": 200,
    "/api/v1/merchant-applications/": 200,
    "/api/v1/webhook-endpoints/": 200,
    "/api/v1/charts/gifts/": 50,
    "/api/v1/charts/rising-brands/": 50,
}


@pytest.mark.parametrize("path", PAGED)
@pytest.mark.parametrize("limit", ["0", "-1", "abc", "2.5", "٣", "maximum + 1"])
def test_a_limit_outside_1_to_the_maximum_is_422(brand, path: str, limit: str) -> None:
    _, api = brand
    if limit == "maximum + 1":
        limit = str(PAGED[path] + 1)
    problem = assert_problem(api.get(path, limit=limit), 422, "validation")
    assert problem["errors"] == {"limit": [f"A whole number from 1 to {PAGED[path]}."]}


@pytest.mark.parametrize("path", PAGED)
def test_a_limit_from_1_to_the_maximum_is_accepted(brand, path: str) -> None:
    _, api = brand
    assert api.get(path, limit="1").status_code == 200
    assert api.get(path, limit=str(PAGED[path])).status_code == 200


@pytest.mark.parametrize("path", PAGED)
def test_a_repeated_limit_is_422(brand, path: str) -> None:
    _, api = brand
    problem = assert_problem(api.get(path, limit=["5", "500"]), 422, "validation")
    assert problem["errors"] == {"limit": ["Give this parameter once."]}


def test_any_repeated_query_parameter_is_422(brand) -> None:
    _, api = brand
    response = api.get("/api/v1/gifts/", status=["accepted", "expired"])
    problem = assert_problem(response, 422, "validation")
    assert problem["errors"] == {"status": ["Give this parameter once."]}


def test_the_schema_gives_every_limit_its_range(client, db) -> None:
    limits = {
        path: parameter["schema"]
        for path, item in schema(client)["paths"].items()
        for parameter in item.get("get", {}).get("parameters", [])
        if parameter["name"] == "limit"
    }
    assert set(limits) >= set(PAGED)
    for path, limit in limits.items():
        assert limit["type"] == "integer"
        assert limit["minimum"] == 1, path
        assert limit["maximum"] == PAGED.get(path, 200), path


def test_a_page_is_not_disturbed_by_rows_added_meanwhile(brand) -> None:
    _, api = brand
    sku = SkuFactory(stock=100)
    first = [body(send_gift(api, sku))["id"] for _ in range(4)]
    page = body(api.get("/api/v1/gifts/", limit=2))
    send_gift(api, sku)  # newer: not on the pages after this one
    path = page["next"].split("testserver", 1)[1]
    rest = body(api.client.get(path, HTTP_AUTHORIZATION=f"Bearer {api.key}"))
    seen = [g["id"] for g in page["results"]] + [g["id"] for g in rest["results"]]
    assert seen == list(reversed(first))
    assert rest["next"] is None


# --- Idempotency-Key --------------------------------------------------------------------


def test_a_repeated_idempotency_key_replays_the_first_response_and_charges_once(brand) -> None:
    partner, api = brand
    sku = SkuFactory(price=Decimal("100.00"), stock=10)
    headers = {"Idempotency-Key": "campaign-42"}
    payload = {"sku": f"sku_{sku.pk}", "quantity": 2, "sender_name": "Brand"}
    first = api.post("/api/v1/gifts/", payload, headers=headers)
    again = api.post("/api/v1/gifts/", payload, headers=headers)
    assert first.status_code == again.status_code == 201
    assert body(again) == body(first)
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Gift.objects.filter(partner=partner).count() == 1
    charges = BalanceEntry.objects.filter(partner=partner, kind=BalanceEntry.Kind.GIFT_CHARGE)
    assert charges.count() == 1
    partner.refresh_from_db()
    assert partner.balance == Decimal("4800.00")
    sku.stock.refresh_from_db()
    assert sku.stock.quantity == 8


def test_the_same_idempotency_key_with_another_body_is_422(brand) -> None:
    partner, api = brand
    sku = SkuFactory(stock=10)
    headers = {"Idempotency-Key": "campaign-43"}
    payload = {"sku": f"sku_{sku.pk}", "quantity": 1, "sender_name": "Brand"}
    assert api.post("/api/v1/gifts/", payload, headers=headers).status_code == 201
    response = api.post("/api/v1/gifts/", {**payload, "quantity": 2}, headers=headers)
    assert_problem(response, 422, "idempotency-key-reused")
    assert Gift.objects.filter(partner=partner).count() == 1


def test_an_idempotency_key_belongs_to_its_partner(client, brand) -> None:
    _, api = brand
    other_partner, other = api_for(client, "Other", balance="1000.00")
    sku = SkuFactory(stock=10)
    headers = {"Idempotency-Key": "shared-key"}
    payload = {"sku": f"sku_{sku.pk}", "sender_name": "Brand"}
    mine = api.post("/api/v1/gifts/", payload, headers=headers)
    theirs = other.post("/api/v1/gifts/", payload, headers=headers)
    assert mine.status_code == theirs.status_code == 201
    assert body(mine)["id"] != body(theirs)["id"]
    assert "Idempotent-Replayed" not in theirs
    assert Gift.objects.filter(partner=other_partner).count() == 1


def test_a_failed_request_is_not_remembered_so_its_retry_runs(client) -> None:
    partner, api = api_for(client, "Poor", balance="10.00")
    sku = SkuFactory(price=Decimal("50.00"))
    headers = {"Idempotency-Key": "retry-me"}
    payload = {"sku": f"sku_{sku.pk}", "sender_name": "Brand"}
    assert api.post("/api/v1/gifts/", payload, headers=headers).status_code == 402
    services.balance_top_up(partner=partner, amount=Decimal("100.00"), reference="more")
    retry = api.post("/api/v1/gifts/", payload, headers=headers)
    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry


def test_an_empty_or_overlong_idempotency_key_is_422(brand) -> None:
    _, api = brand
    sku = SkuFactory()
    payload = {"sku": f"sku_{sku.pk}", "sender_name": "Brand"}
    response = api.post("/api/v1/gifts/", payload, headers={"Idempotency-Key": "k" * 256})
    problem = assert_problem(response, 422, "validation")
    assert "Idempotency-Key" in problem["errors"]
    assert not Gift.objects.exists()


# --- Schema and docs --------------------------------------------------------------------

ENDPOINTS = [
    "/api/v1/categories/",
    "/api/v1/products/",
    "/api/v1/products/{product_id}/",
    "/api/v1/skus/{sku_id}/",
    "/api/v1/orders/",
    "/api/v1/orders/{order_id}/",
    "/api/v1/orders/{order_id}/shipments/",
    "/api/v1/change-requests/",
    "/api/v1/change-requests/{request_id}/",
    "/api/v1/change-requests/{request_id}/approve/",
    "/api/v1/change-requests/{request_id}/reject/",
    "/api/v1/gifts/",
    "/api/v1/gifts/{gift_id}/",
    "/api/v1/gifts/{gift_id}/cancel/",
    "/api/v1/chip-ins/",
    "/api/v1/chip-ins/{gift_id}/",
    "/api/v1/chip-ins/{gift_id}/cancel/",
    "/api/v1/balance/",
    "/api/v1/merchant-applications/",
    "/api/v1/merchant-applications/{application_id}/",
    "/api/v1/webhook-endpoints/",
    "/api/v1/webhook-endpoints/{endpoint_id}/",
    "/api/v1/webhook-endpoints/{endpoint_id}/deliveries/",
    "/api/v1/charts/gifts/",
    "/api/v1/charts/rising-brands/",
]


def schema(client: Client) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200, response.content
    return body(response)


def test_the_schema_is_valid_openapi_3(client, db) -> None:
    from drf_spectacular.validation import validate_schema

    document = schema(client)
    assert document["openapi"].startswith("3.")
    validate_schema(document)


def test_the_schema_lists_every_endpoint(client, db) -> None:
    paths = schema(client)["paths"]
    assert set(paths) == set(ENDPOINTS)
    operations = {(p, m) for p, item in paths.items() for m in item}
    assert {
        ("/api/v1/products/", "post"),
        ("/api/v1/skus/{sku_id}/", "patch"),
        ("/api/v1/gifts/", "post"),
        ("/api/v1/webhook-endpoints/{endpoint_id}/", "delete"),
        ("/api/v1/orders/{order_id}/shipments/", "post"),
        ("/api/v1/merchant-applications/", "post"),
    } <= operations


def test_the_schema_declares_bearer_auth(client, db) -> None:
    document = schema(client)
    schemes = document["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.refs += [v for k, v in attrs if k in ("src", "href") and v]


def test_the_docs_page_uses_only_the_sites_own_assets(client, db) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    parser = _Refs()
    parser.feed(response.text)
    assets = [r for r in parser.refs if not r.startswith("?")]
    assert assets, "the page loads Swagger UI from somewhere"
    for ref in assets:
        assert ref.startswith("/static/") or ref.startswith("/api/"), ref
    assert "cdn" not in response.text.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", response.text)


def test_the_docs_page_has_no_inline_style_or_script_for_the_csp(client, db) -> None:
    page = client.get("/api/docs/").text
    assert "<style" not in page
    assert "style=" not in page
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []


def test_the_docs_script_loads_the_schema_from_the_site(client, db) -> None:
    page = client.get("/api/docs/")
    script_src = next(r for r in re.findall(r'src="([^"]+)"', page.text) if "script" in r)
    script = client.get("/api/docs/" + script_src if script_src.startswith("?") else script_src)
    assert script.status_code == 200
    text = script.content.decode()
    assert "/api/schema/" in text
    assert "https://" not in text and "cdn" not in text.lower()


def test_the_docs_assets_are_served(client, db) -> None:
    page = client.get("/api/docs/")
    parser = _Refs()
    parser.feed(page.text)
    static = [r for r in parser.refs if r.startswith("/static/")]
    assert static
    from django.contrib.staticfiles import finders
    from django.contrib.staticfiles.storage import staticfiles_storage

    for ref in static:
        name = ref.removeprefix("/static/").split("?")[0]
        assert staticfiles_storage.exists(name) or finders.find(name), ref


def test_a_key_of_a_deactivated_partner_is_401(brand) -> None:
    partner, api = brand
    Partner.objects.filter(pk=partner.pk).update(is_active=False)
    assert_problem(api.get("/api/v1/balance/"), 401, "unauthorized")


def test_an_unsupported_body_type_is_a_problem(brand) -> None:
    _, api = brand
    response = api.client.post(
        "/api/v1/gifts/",
        "sku=sku_1",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Bearer {api.key}",
    )
    assert_problem(response, 415, "unsupported-media-type")


EVERY_OPERATION = [
    ("get", "/api/v1/categories/"),
    ("get", "/api/v1/products/"),
    ("post", "/api/v1/products/"),
    ("get", "/api/v1/products/prod_1/"),
    ("patch", "/api/v1/skus/sku_1/"),
    ("get", "/api/v1/orders/"),
    ("get", "/api/v1/orders/ord_1/"),
    ("post", "/api/v1/orders/ord_1/shipments/"),
    ("get", "/api/v1/gifts/"),
    ("post", "/api/v1/gifts/"),
    ("get", "/api/v1/gifts/gift_1/"),
    ("post", "/api/v1/gifts/gift_1/cancel/"),
    ("get", "/api/v1/balance/"),
    ("get", "/api/v1/merchant-applications/"),
    ("post", "/api/v1/merchant-applications/"),
    ("get", "/api/v1/merchant-applications/app_1/"),
    ("get", "/api/v1/webhook-endpoints/"),
    ("post", "/api/v1/webhook-endpoints/"),
    ("get", "/api/v1/webhook-endpoints/whe_1/"),
    ("delete", "/api/v1/webhook-endpoints/whe_1/"),
    ("get", "/api/v1/webhook-endpoints/whe_1/deliveries/"),
]


@pytest.mark.parametrize(("method", "path"), EVERY_OPERATION)
def test_every_operation_needs_a_key(client, method, path) -> None:
    kwargs = {"content_type": "application/json"} if method in ("post", "patch") else {}
    response = getattr(client, method)(path, **kwargs)
    assert_problem(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path"), EVERY_OPERATION)
def test_every_operation_is_rate_limited_per_key(brand, settings, method, path) -> None:
    settings.API_RATE_LIMIT = "1/min"
    cache.clear()
    _, api = brand
    api.get("/api/v1/balance/")
    call = getattr(api, method)
    response = call(path, {}) if method in ("post", "patch") else call(path)
    assert_problem(response, 429, "rate-limited")
    assert int(response["Retry-After"]) >= 1


def test_a_repeated_cancel_with_its_idempotency_key_replays_the_200(brand) -> None:
    _, api = brand
    gift = body(send_gift(api, SkuFactory()))
    path = f"/api/v1/gifts/{gift['id']}/cancel/"
    first = api.post(path, headers={"Idempotency-Key": "cancel-1"})
    again = api.post(path, headers={"Idempotency-Key": "cancel-1"})
    assert first.status_code == again.status_code == 200
    assert body(again) == body(first)
    assert again["Idempotent-Replayed"] == "true"


def test_a_repeated_webhook_creation_with_its_idempotency_key_creates_one(brand) -> None:
    from shop.partners.models import WebhookEndpoint

    _, api = brand
    payload = {"url": "https://hooks.example.com/x", "events": ["order.paid"]}
    first = api.post("/api/v1/webhook-endpoints/", payload, headers={"Idempotency-Key": "wh"})
    again = api.post("/api/v1/webhook-endpoints/", payload, headers={"Idempotency-Key": "wh"})
    assert first.status_code == again.status_code == 201
    assert body(again) == body(first)
    assert WebhookEndpoint.objects.count() == 1


SUCCESS = {
    ("/api/v1/products/", "post"): "201",
    ("/api/v1/skus/{sku_id}/", "patch"): "200",
    ("/api/v1/orders/{order_id}/shipments/", "post"): "201",
    ("/api/v1/gifts/", "post"): "201",
    ("/api/v1/gifts/{gift_id}/cancel/", "post"): "200",
    ("/api/v1/merchant-applications/", "post"): "201",
    ("/api/v1/webhook-endpoints/", "post"): "201",
    ("/api/v1/webhook-endpoints/{endpoint_id}/", "delete"): "204",
}


@pytest.mark.parametrize(("path", "method"), list(SUCCESS))
def test_the_schema_documents_each_writes_success_status(client, db, path, method) -> None:
    responses = schema(client)["paths"][path][method]["responses"]
    success = sorted(code for code in responses if code.startswith("2"))
    assert success == [SUCCESS[(path, method)]]


def test_the_schema_documents_problem_responses(client, db) -> None:
    paths = schema(client)["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for code in ("401", "404", "429"):
                content = operation["responses"][code]["content"]
                assert "application/problem+json" in content, (path, method, code)
    assert "402" in paths["/api/v1/gifts/"]["post"]["responses"]
    assert "409" in paths["/api/v1/gifts/{gift_id}/cancel/"]["post"]["responses"]


def test_the_schema_declares_the_idempotency_key_header_on_every_post(client, db) -> None:
    for path, item in schema(client)["paths"].items():
        if "post" in item:
            parameters = item["post"].get("parameters", []) + item.get("parameters", [])
            names = {(p["in"], p["name"].lower()) for p in parameters}
            assert ("header", "idempotency-key") in names, path


@pytest.mark.parametrize(
    "path",
    ["/api/v1/gifts/gift_²/", "/api/v1/orders/ord_²/", "/api/v1/products/prod_³/"],
)
def test_an_id_with_a_superscript_digit_is_404(brand, path) -> None:
    _, api = brand
    assert_problem(api.get(path), 404, "not-found")


def test_a_filter_with_a_superscript_digit_is_422(brand) -> None:
    _, api = brand
    problem = assert_problem(api.get("/api/v1/products/", category="cat_²"), 422, "validation")
    assert list(problem["errors"]) == ["category"]


def test_a_gift_for_a_sku_id_with_a_superscript_digit_is_422(brand) -> None:
    _, api = brand
    response = api.post("/api/v1/gifts/", {"sku": "sku_²", "sender_name": "Brand"})
    problem = assert_problem(response, 422, "validation")
    assert "sku" in problem["errors"]
