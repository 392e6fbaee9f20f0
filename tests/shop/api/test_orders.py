"""Orders of the merchants a partner manages: list (filter `status`), detail with the
shipping address (each read logged), and shipments."""

import pytest
from django.test import Client

from merchants.models import AddressAccessLog
from shop.orders import services as orders
from shop.orders.models import Order
from tests.factories import ProductFactory, SkuFactory
from tests.merchants.world import ADDRESSES, place_order
from tests.partners import api_for, managed_merchant

from .conftest import assert_problem, body

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(client: Client) -> dict:
    partner, api = api_for(client, "Provider")
    merchant = managed_merchant(partner)
    sku = SkuFactory(product=ProductFactory(merchant=merchant), stock=50)
    paid = place_order(client, sku, address=ADDRESSES["A"])
    shipped = place_order(client, sku, address=ADDRESSES["A"])
    orders.order_ship(order=shipped, carrier="顺丰", tracking_number="SF1")
    unpaid = place_order(client, sku, address=ADDRESSES["A"], pay=False)
    return {
        "partner": partner,
        "api": api,
        "sku": sku,
        "paid": paid,
        "shipped": shipped,
        "unpaid": unpaid,
    }


def oid(order: Order) -> str:
    return f"ord_{order.pk}"


def listed(response: object) -> list[str]:
    assert response.status_code == 200, response.content
    return [o["id"] for o in body(response)["results"]]


def test_the_list_has_the_managed_merchants_orders(shop) -> None:
    found = listed(shop["api"].get("/api/v1/orders/"))
    assert set(found) == {oid(shop["paid"]), oid(shop["shipped"]), oid(shop["unpaid"])}


@pytest.mark.parametrize(("status", "key"), [("paid", "paid"), ("shipped", "shipped")])
def test_the_list_filters_by_status(shop, status, key) -> None:
    assert listed(shop["api"].get("/api/v1/orders/", status=status)) == [oid(shop[key])]


def test_a_status_with_no_orders_is_an_empty_page(shop) -> None:
    page = body(shop["api"].get("/api/v1/orders/", status="completed"))
    assert page == {"results": [], "next": None}


def test_an_unknown_status_filter_is_422(shop) -> None:
    problem = assert_problem(shop["api"].get("/api/v1/orders/", status="lost"), 422, "validation")
    assert list(problem["errors"]) == ["status"]


def test_the_list_carries_no_address_and_logs_no_access(shop) -> None:
    response = shop["api"].get("/api/v1/orders/")
    assert ADDRESSES["A"]["street"] not in response.content.decode()
    assert ADDRESSES["A"]["phone"] not in response.content.decode()
    assert "shipping_address" not in body(response)["results"][0]
    assert not AddressAccessLog.objects.exists()


def test_an_order_shows_its_lines_and_money(shop) -> None:
    data = body(shop["api"].get(f"/api/v1/orders/{oid(shop['paid'])}/"))
    assert data["id"] == oid(shop["paid"])
    assert data["status"] == "paid"
    assert data["total"] == {"value": f"{shop['paid'].total:.2f}", "currency": "CNY"}
    assert [line["sku"] for line in data["lines"]] == [f"sku_{shop['sku'].pk}"]
    assert data["lines"][0]["quantity"] == 1


def test_an_order_includes_the_shipping_address(shop) -> None:
    data = body(shop["api"].get(f"/api/v1/orders/{oid(shop['paid'])}/"))
    address = data["shipping_address"]
    for field in ("recipient_name", "phone", "province", "city", "district", "street"):
        assert address[field] == ADDRESSES["A"][field]


def test_reading_an_order_logs_the_address_access_with_the_partner(shop) -> None:
    shop["api"].get(f"/api/v1/orders/{oid(shop['paid'])}/")
    shop["api"].get(f"/api/v1/orders/{oid(shop['paid'])}/")
    logs = AddressAccessLog.objects.filter(order=shop["paid"])
    assert logs.count() == 2
    assert {(log.partner_id, log.user_id) for log in logs} == {(shop["partner"].pk, None)}


def test_a_shipment_ships_the_order(shop) -> None:
    response = shop["api"].post(
        f"/api/v1/orders/{oid(shop['paid'])}/shipments/",
        {"carrier": "顺丰速运", "tracking_number": "SF1234567890"},
    )
    assert response.status_code == 201, response.content
    data = body(response)
    assert (data["status"], data["carrier"], data["tracking_number"]) == (
        "shipped",
        "顺丰速运",
        "SF1234567890",
    )
    assert data["shipped_at"]
    shop["paid"].refresh_from_db()
    assert shop["paid"].status == Order.Status.SHIPPED
    assert shop["paid"].tracking_number == "SF1234567890"


def test_a_second_shipment_is_409_and_keeps_the_first(shop) -> None:
    path = f"/api/v1/orders/{oid(shop['paid'])}/shipments/"
    assert shop["api"].post(path, {"carrier": "顺丰", "tracking_number": "SF1"}).status_code == 201
    response = shop["api"].post(path, {"carrier": "EMS", "tracking_number": "E2"})
    assert_problem(response, 409, "conflict")
    shop["paid"].refresh_from_db()
    assert (shop["paid"].carrier, shop["paid"].tracking_number) == ("顺丰", "SF1")


def test_an_unpaid_order_cannot_be_shipped(shop) -> None:
    response = shop["api"].post(
        f"/api/v1/orders/{oid(shop['unpaid'])}/shipments/",
        {"carrier": "顺丰", "tracking_number": "SF1"},
    )
    assert_problem(response, 409, "conflict")
    shop["unpaid"].refresh_from_db()
    assert shop["unpaid"].status == Order.Status.PENDING_PAYMENT


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"carrier", "tracking_number"}),
        ({"carrier": "顺丰", "tracking_number": ""}, {"tracking_number"}),
        ({"carrier": "x" * 51, "tracking_number": "SF1"}, {"carrier"}),
    ],
    ids=["missing", "blank-tracking", "long-carrier"],
)
def test_an_invalid_shipment_is_422_and_ships_nothing(shop, payload, fields) -> None:
    response = shop["api"].post(f"/api/v1/orders/{oid(shop['paid'])}/shipments/", payload)
    problem = assert_problem(response, 422, "validation")
    assert set(problem["errors"]) == fields
    shop["paid"].refresh_from_db()
    assert shop["paid"].status == Order.Status.PAID


def test_a_repeated_shipment_with_its_idempotency_key_replays_the_201(shop) -> None:
    path = f"/api/v1/orders/{oid(shop['paid'])}/shipments/"
    payload = {"carrier": "顺丰", "tracking_number": "SF1"}
    first = shop["api"].post(path, payload, headers={"Idempotency-Key": "ship-1"})
    again = shop["api"].post(path, payload, headers={"Idempotency-Key": "ship-1"})
    assert first.status_code == again.status_code == 201
    assert body(again) == body(first)
    assert again["Idempotent-Replayed"] == "true"


def test_an_unmanaged_merchants_order_is_404(client, shop) -> None:
    stranger = place_order(client, SkuFactory(stock=5), address=ADDRESSES["B"])
    response = shop["api"].get(f"/api/v1/orders/{oid(stranger)}/")
    assert_problem(response, 404, "not-found")
    assert ADDRESSES["B"]["street"] not in response.content.decode()
    assert not AddressAccessLog.objects.filter(order=stranger).exists()
    assert oid(stranger) not in listed(shop["api"].get("/api/v1/orders/"))


def test_the_schema_says_who_reads_the_recipients_address_and_why(client) -> None:
    paths = body(client.get("/api/schema/", {"format": "json"}))["paths"]
    detail = paths["/api/v1/orders/{order_id}/"]["get"]["description"]
    assert "shipping_address" in detail
    assert "to ship" in detail
    assert "logged" in detail
    assert "without shipping addresses" in paths["/api/v1/orders/"]["get"]["description"]
