"""The partner API for changes before shipping: a partner managing the merchant lists,
reads, approves and rejects its recipients' requests; errors are problem details."""

import json

import pytest
from django.test import Client
from django.utils import translation

from gifting import changes
from merchants.models import AddressAccessLog
from shop.orders.models import ChangeRequest, Order
from shop.payments.models import Refund
from tests.changes import NEW_ADDRESS, accepted_claim, other_variant
from tests.factories import SkuFactory
from tests.partners import api_for, managed_merchant

pytestmark = pytest.mark.django_db
CR = ChangeRequest.Status


@pytest.fixture
def world(client: Client) -> dict:
    """`shop` manages the merchant whose gift order has a pending cheaper-variant change."""
    shop, shop_api = api_for(Client(), "Shop partner")
    _, other_api = api_for(Client(), "Other partner")
    sku = SkuFactory(product__merchant=managed_merchant(shop), price="99.00", stock=10)
    claim = accepted_claim(client, sku=sku)
    cheaper = other_variant(claim, price="79.00")
    with translation.override("en"):
        request = changes.variant_change_request(claim=claim, sku_id=cheaper.pk)
    return {"api": shop_api, "other": other_api, "claim": claim, "request": request}


def _url(request: ChangeRequest, action: str = "") -> str:
    return f"/api/v1/change-requests/chg_{request.pk}/" + (f"{action}/" if action else "")


def test_a_managing_partner_lists_its_pending_requests(world) -> None:
    response = world["api"].get("/api/v1/change-requests/", status="pending")
    body = json.loads(response.content)
    assert [r["id"] for r in body["results"]] == [f"chg_{world['request'].pk}"]
    assert body["results"][0]["refund_amount"] == {"value": "20.00", "currency": "CNY"}


def test_approving_over_the_api_changes_the_variant_and_refunds_the_difference(world) -> None:
    response = world["api"].post(_url(world["request"], "approve"), {"note": "好的"})
    assert response.status_code == 200
    assert json.loads(response.content)["status"] == CR.APPROVED
    refund = Refund.objects.get(idempotency_key=changes.refund_key(world["request"].pk))
    assert refund.amount == 20


def test_rejecting_over_the_api_keeps_the_variant(world) -> None:
    response = world["api"].post(_url(world["request"], "reject"), {"note": "缺货"})
    assert response.status_code == 200
    body = json.loads(response.content)
    assert (body["status"], body["decision_note"]) == (CR.REJECTED, "缺货")
    assert world["claim"].order.lines.get().sku_id == world["claim"].sku_id


def test_answering_twice_is_a_conflict_problem(world) -> None:
    world["api"].post(_url(world["request"], "approve"))
    response = world["api"].post(_url(world["request"], "reject"))
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert body["code"] == "change-refused"
    assert "already answered" in body["detail"]


def test_a_note_too_long_is_a_validation_problem_and_nothing_is_answered(world) -> None:
    response = world["api"].post(_url(world["request"], "approve"), {"note": "x" * 201})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert "note" in json.loads(response.content)["errors"]
    assert ChangeRequest.objects.get(pk=world["request"].pk).status == CR.PENDING


def test_another_partners_request_is_not_found(world) -> None:
    response = world["other"].post(_url(world["request"], "approve"))
    assert response.status_code == 404
    assert ChangeRequest.objects.get(pk=world["request"].pk).status == CR.PENDING


def test_shipping_over_the_api_while_a_request_waits_is_a_conflict(world) -> None:
    order_id = f"ord_{world['claim'].order_id}"
    response = world["api"].post(
        f"/api/v1/orders/{order_id}/shipments/", {"carrier": "SF", "tracking_number": "SF1"}
    )
    assert response.status_code == 409
    assert json.loads(response.content)["code"] == "change-pending"
    assert Order.objects.get(pk=world["claim"].order_id).status == Order.Status.PAID


def test_reading_an_address_change_shows_the_new_address_and_is_logged(world) -> None:
    world["api"].post(_url(world["request"], "reject"))
    with translation.override("en"):
        request = changes.address_change_request(claim=world["claim"], address=NEW_ADDRESS)
    response = world["api"].get(_url(request))
    assert json.loads(response.content)["new_address"]["street"] == NEW_ADDRESS["street"]
    assert AddressAccessLog.objects.filter(order=world["claim"].order).count() == 1
