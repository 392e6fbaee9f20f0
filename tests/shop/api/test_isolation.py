"""Two partners, A and B, on every endpoint: A never reaches B's gifts, B's merchants'
orders, SKUs and unlisted products, B's applications, webhook endpoints or deliveries.
Each is a 404 (never a 403, never data), each write changes nothing, and no list of A's
ever carries B's objects."""

import pytest

from gifting.models import Gift
from merchants.models import AddressAccessLog
from shop.catalogue.models import Product, StockRecord
from shop.orders.models import Order
from shop.partners.models import BalanceEntry, WebhookEndpoint
from tests.merchants.world import ADDRESSES

from .conftest import Side, assert_problem, body, send_gift

pytestmark = pytest.mark.django_db


def assert_hidden(response: object, b: Side) -> None:
    """A 404 problem that tells nothing about B's object."""
    assert_problem(response, 404, "not-found")
    text = response.content.decode()
    for secret in (b.partner.name, b.merchant.name, ADDRESSES["B"]["street"], "Brand B"):
        assert secret not in text


def listed_ids(response: object, key: str = "results") -> set[str]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in body(response)[key]}


# --- Reads ------------------------------------------------------------------------------


def test_b_gift_is_404_for_a(side_a, side_b) -> None:
    assert_hidden(side_a.api.get(f"/api/v1/gifts/{side_b.gift['id']}/"), side_b)
    assert side_b.api.get(f"/api/v1/gifts/{side_b.gift['id']}/").status_code == 200


def test_an_order_of_b_merchant_is_404_for_a_and_its_address_is_not_logged(side_a, side_b) -> None:
    response = side_a.api.get(f"/api/v1/orders/ord_{side_b.order.pk}/")
    assert_hidden(response, side_b)
    assert ADDRESSES["B"]["phone"] not in response.content.decode()
    assert not AddressAccessLog.objects.filter(order=side_b.order).exists()


def test_b_merchant_unlisted_product_is_404_for_a(side_a, side_b) -> None:
    assert_hidden(side_a.api.get(f"/api/v1/products/prod_{side_b.draft.pk}/"), side_b)
    assert side_b.api.get(f"/api/v1/products/prod_{side_b.draft.pk}/").status_code == 200


def test_b_merchant_listed_product_is_public_catalogue(side_a, side_b) -> None:
    response = side_a.api.get(f"/api/v1/products/prod_{side_b.product.pk}/")
    assert response.status_code == 200
    assert [s["id"] for s in body(response)["skus"]] == [f"sku_{side_b.sku.pk}"]


def test_b_application_is_404_for_a(side_a, side_b) -> None:
    response = side_a.api.get(f"/api/v1/merchant-applications/{side_b.application['id']}/")
    assert_hidden(response, side_b)
    assert "新店B" not in response.content.decode()


def test_b_webhook_endpoint_is_404_for_a(side_a, side_b) -> None:
    response = side_a.api.get(f"/api/v1/webhook-endpoints/{side_b.endpoint['id']}/")
    assert_hidden(response, side_b)
    assert side_b.endpoint["url"] not in response.content.decode()


def test_b_webhook_deliveries_are_404_for_a(side_a, side_b) -> None:
    path = f"/api/v1/webhook-endpoints/{side_b.endpoint['id']}/deliveries/"
    assert_hidden(side_a.api.get(path), side_b)
    assert listed_ids(side_b.api.get(path)) == {f"whd_{side_b.delivery.pk}"}


# --- Writes -----------------------------------------------------------------------------


def test_a_cannot_cancel_b_gift(side_a, side_b) -> None:
    gift = Gift.objects.get(pk=int(side_b.gift["id"].removeprefix("gift_")))
    refunds_before = gift.payment.refunds.count()
    assert_hidden(side_a.api.post(f"/api/v1/gifts/{side_b.gift['id']}/cancel/"), side_b)
    gift.refresh_from_db()
    assert gift.status == Gift.Status.AWAITING_RECIPIENT
    assert gift.payment.refunds.count() == refunds_before == 0


def test_a_cannot_ship_an_order_of_b_merchant(side_a, side_b) -> None:
    response = side_a.api.post(
        f"/api/v1/orders/ord_{side_b.order.pk}/shipments/",
        {"carrier": "顺丰", "tracking_number": "SF-A"},
    )
    assert_hidden(response, side_b)
    side_b.order.refresh_from_db()
    assert side_b.order.status == Order.Status.PAID
    assert side_b.order.tracking_number == ""


@pytest.mark.parametrize("which", ["sku", "draft_sku"])
def test_a_cannot_change_a_sku_of_b_merchant(side_a, side_b, which) -> None:
    sku = getattr(side_b, which)
    before = (sku.price, StockRecord.objects.get(sku=sku).quantity)
    response = side_a.api.patch(
        f"/api/v1/skus/sku_{sku.pk}/", {"price": {"value": "1.00", "currency": "CNY"}, "stock": 0}
    )
    assert_hidden(response, side_b)
    sku.refresh_from_db()
    assert (sku.price, StockRecord.objects.get(sku=sku).quantity) == before


def test_a_cannot_add_a_product_to_b_merchant(side_a, side_b) -> None:
    response = side_a.api.post(
        "/api/v1/products/",
        {
            "merchant": f"mer_{side_b.merchant.pk}",
            "category": f"cat_{side_b.category.pk}",
            "title": "冒名商品",
            "skus": [{"code": "X", "price": {"value": "1.00", "currency": "CNY"}, "stock": 1}],
        },
    )
    problem = assert_problem(response, 422, "validation")
    assert "merchant" in problem["errors"]
    assert not Product.objects.filter(title="冒名商品").exists()


def test_a_cannot_delete_b_webhook_endpoint(side_a, side_b) -> None:
    response = side_a.api.delete(f"/api/v1/webhook-endpoints/{side_b.endpoint['id']}/")
    assert_hidden(response, side_b)
    endpoint = WebhookEndpoint.objects.get(pk=int(side_b.endpoint["id"].removeprefix("whe_")))
    assert endpoint.is_active


def test_a_cannot_gift_b_merchant_unlisted_sku(side_a, side_b) -> None:
    response = send_gift(side_a.api, side_b.draft_sku)
    assert_problem(response, 422, "validation")
    assert not Gift.objects.filter(partner=side_a.partner, sku=side_b.draft_sku).exists()


def test_a_gift_from_b_merchant_listed_sku_is_paid_by_a(side_a, side_b) -> None:
    """The public catalogue is everyone's: A may gift it, from A's own balance."""
    side_b.refresh()
    b_before = side_b.partner.balance
    response = send_gift(side_a.api, side_b.sku)
    assert response.status_code == 201
    side_b.refresh()
    assert side_b.partner.balance == b_before
    assert Gift.objects.get(pk=int(body(response)["id"].removeprefix("gift_"))).partner_id == (
        side_a.partner.pk
    )


# --- Lists ------------------------------------------------------------------------------


def test_gift_lists_are_each_partners_own(side_a, side_b) -> None:
    a_ids = listed_ids(side_a.api.get("/api/v1/gifts/"))
    b_ids = listed_ids(side_b.api.get("/api/v1/gifts/"))
    assert side_a.gift["id"] in a_ids and side_b.gift["id"] in b_ids
    assert not a_ids & b_ids
    for status in ("awaiting_recipient", "cancelled"):
        assert side_b.gift["id"] not in listed_ids(side_a.api.get("/api/v1/gifts/", status=status))


def test_order_lists_are_each_partners_merchants(side_a, side_b) -> None:
    assert listed_ids(side_a.api.get("/api/v1/orders/")) == {f"ord_{side_a.order.pk}"}
    assert listed_ids(side_a.api.get("/api/v1/orders/", status="paid")) == {
        f"ord_{side_a.order.pk}"
    }
    assert listed_ids(side_b.api.get("/api/v1/orders/")) == {f"ord_{side_b.order.pk}"}


def test_product_lists_carry_only_own_unlisted_products(side_a, side_b) -> None:
    a_ids = listed_ids(side_a.api.get("/api/v1/products/"))
    assert f"prod_{side_a.draft.pk}" in a_ids
    assert f"prod_{side_b.draft.pk}" not in a_ids
    assert f"prod_{side_b.product.pk}" in a_ids  # listed: the public catalogue
    by_b = listed_ids(side_a.api.get("/api/v1/products/", merchant=f"mer_{side_b.merchant.pk}"))
    assert by_b == {f"prod_{side_b.product.pk}"}
    by_category = listed_ids(
        side_a.api.get("/api/v1/products/", category=f"cat_{side_b.category.pk}")
    )
    assert by_category == {f"prod_{side_b.product.pk}"}


def test_application_lists_are_each_partners_own(side_a, side_b) -> None:
    assert listed_ids(side_a.api.get("/api/v1/merchant-applications/")) == {
        side_a.application["id"]
    }
    assert listed_ids(side_b.api.get("/api/v1/merchant-applications/")) == {
        side_b.application["id"]
    }


def test_webhook_endpoint_lists_are_each_partners_own(side_a, side_b) -> None:
    assert listed_ids(side_a.api.get("/api/v1/webhook-endpoints/")) == {side_a.endpoint["id"]}
    assert listed_ids(side_b.api.get("/api/v1/webhook-endpoints/")) == {side_b.endpoint["id"]}


def test_deliveries_are_each_endpoints_own(side_a, side_b) -> None:
    path = f"/api/v1/webhook-endpoints/{side_a.endpoint['id']}/deliveries/"
    assert listed_ids(side_a.api.get(path)) == {f"whd_{side_a.delivery.pk}"}


def test_balances_are_each_partners_own(side_a, side_b) -> None:
    a = body(side_a.api.get("/api/v1/balance/"))
    b_entries = set(
        BalanceEntry.objects.filter(partner=side_b.partner).values_list("pk", flat=True)
    )
    assert not {e["id"] for e in a["entries"]} & {f"bal_{pk}" for pk in b_entries}
    side_a.refresh()
    assert a["available"]["value"] == f"{side_a.partner.balance:.2f}"


def test_an_idempotency_key_of_b_does_not_replay_for_a(side_a, side_b) -> None:
    payload = {"sku": f"sku_{side_a.sku.pk}", "sender_name": "Brand"}
    headers = {"Idempotency-Key": "same-key"}
    b = side_b.api.post("/api/v1/gifts/", payload, headers=headers)
    a = side_a.api.post("/api/v1/gifts/", payload, headers=headers)
    assert a.status_code == b.status_code == 201
    assert body(a)["id"] != body(b)["id"]
    assert body(a)["id"] in listed_ids(side_a.api.get("/api/v1/gifts/"))
    assert body(a)["id"] not in listed_ids(side_b.api.get("/api/v1/gifts/"))


def test_revoking_b_key_does_not_touch_a(side_a, side_b) -> None:
    from shop.partners import services
    from shop.partners.models import ApiKey

    services.api_key_revoke(api_key=ApiKey.objects.get(partner=side_b.partner))
    assert side_b.api.get("/api/v1/balance/").status_code == 401
    assert side_a.api.get("/api/v1/balance/").status_code == 200


def test_a_merchant_no_longer_managed_is_no_longer_reachable(side_a) -> None:
    side_a.partner.merchants.remove(side_a.merchant)
    api = side_a.api
    assert_problem(api.get(f"/api/v1/orders/ord_{side_a.order.pk}/"), 404, "not-found")
    assert_problem(api.get(f"/api/v1/products/prod_{side_a.draft.pk}/"), 404, "not-found")
    assert_problem(api.patch(f"/api/v1/skus/sku_{side_a.sku.pk}/", {"stock": 1}), 404, "not-found")
    assert listed_ids(api.get("/api/v1/orders/")) == set()


def test_order_events_go_only_to_the_partner_managing_the_merchant(client, side_a, side_b) -> None:
    from shop.partners.models import WebhookDelivery
    from tests.merchants.world import place_order

    def subscribe(side: Side) -> int:
        created = side.api.post(
            "/api/v1/webhook-endpoints/",
            {"url": f"https://hooks.example.com/orders-{side.key}", "events": ["order.paid"]},
        )
        return int(body(created)["id"].removeprefix("whe_"))

    a_endpoint, b_endpoint = subscribe(side_a), subscribe(side_b)
    order = place_order(client, side_b.sku, address=ADDRESSES["B"])
    assert not WebhookDelivery.objects.filter(endpoint_id=a_endpoint).exists()
    [delivery] = WebhookDelivery.objects.filter(endpoint_id=b_endpoint).select_related("event")
    assert delivery.event.data["id"] == f"ord_{order.pk}"
    assert ADDRESSES["B"]["street"] not in str(delivery.event.data)
