"""change_request.* webhooks: to the partners managing the order's merchant, the body
the API's list shows (no address), one event per answer."""

import json

import pytest
from django.test import Client
from django.utils import translation

from gifting import changes
from shop.partners.models import WebhookEvent
from tests.changes import NEW_ADDRESS, accepted_claim, other_variant
from tests.factories import SkuFactory
from tests.partners import api_for, managed_merchant
from tests.shop.webhooks.test_outbox import endpoint

pytestmark = pytest.mark.usefixtures("no_publish", "insecure_webhooks")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def shop(db: None) -> dict:
    partner, api = api_for(Client(), "Shop partner")
    endpoint(api)
    sku = SkuFactory(product__merchant=managed_merchant(partner), price="99.00", stock=10)
    return {"partner": partner, "api": api, "claim": accepted_claim(Client(), sku=sku)}


def _events(kind: str) -> list[WebhookEvent]:
    return list(WebhookEvent.objects.filter(type=kind).order_by("pk"))


def test_a_request_is_reported_with_the_body_the_api_reads(shop) -> None:
    cheaper = other_variant(shop["claim"], price="79.00")
    request = changes.variant_change_request(claim=shop["claim"], sku_id=cheaper.pk)
    (event,) = _events("change_request.created")
    listed = json.loads(shop["api"].get("/api/v1/change-requests/").content)["results"][0]
    assert event.partner_id == shop["partner"].pk
    assert event.data == listed
    assert event.data["id"] == f"chg_{request.pk}"


def test_an_approval_is_reported_once_with_its_refund(shop) -> None:
    cheaper = other_variant(shop["claim"], price="79.00")
    request = changes.variant_change_request(claim=shop["claim"], sku_id=cheaper.pk)
    changes.change_approve(request=request)
    (event,) = _events("change_request.approved")
    assert event.data["status"] == "approved"
    assert event.data["refund_amount"] == {"value": "20.00", "currency": "CNY"}


def test_an_address_change_is_reported_without_either_address(shop) -> None:
    request = changes.address_change_request(claim=shop["claim"], address=NEW_ADDRESS)
    changes.change_reject(request=request)
    bodies = [json.dumps(e.data, ensure_ascii=False) for e in WebhookEvent.objects.all()]
    change_bodies = [b for b in bodies if "chg_" in b]
    assert len(change_bodies) == 2  # created, rejected
    old_street = shop["claim"].order.street
    assert not any(NEW_ADDRESS["street"] in b or old_street in b for b in change_bodies)


def test_a_partner_not_managing_the_merchant_hears_nothing(db: None) -> None:
    _, api = api_for(Client(), "Bystander")
    endpoint(api)
    claim = accepted_claim(Client())
    changes.address_change_request(claim=claim, address=NEW_ADDRESS)
    assert not WebhookEvent.objects.filter(type__startswith="change_request.").exists()
