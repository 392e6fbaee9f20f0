"""Chip-in gifts through the partner API: a brand starts one for its community campaign,
people pay shares through the share link, the brand hears gift.funded or
gift.funding_failed. Bad input is problem+json and moves no money."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from gifting.chipin import services as chipin
from gifting.models import ChipIn, Gift
from shop.partners.models import BalanceEntry, WebhookEvent
from shop.payments.models import Payment, Refund
from tests.chipins import chip_in_share
from tests.factories import SkuFactory
from tests.partners import api_for

from .conftest import assert_problem, body

pytestmark = pytest.mark.django_db


@pytest.fixture
def brand(client: Client) -> dict:
    partner, api = api_for(client, "Brand", balance="500.00")
    return {"partner": partner, "api": api}


@pytest.fixture
def sku(db: None):
    return SkuFactory(price=Decimal("300.00"), stock=5)


def start(api, sku, **changes: object) -> object:
    payload = {"sku": f"sku_{sku.pk}", "message": "一起为社区送礼", "sender_name": "品牌"}
    payload.update(changes)
    return api.post("/api/v1/chip-ins/", payload)


def chip_in_of(data: dict) -> ChipIn:
    return ChipIn.objects.get(gift_id=int(data["gift"]["id"].removeprefix("gift_")))


def test_a_brand_starts_a_chip_in_without_touching_its_balance(brand, sku) -> None:
    response = start(brand["api"], sku)
    assert response.status_code == 201, response.content
    data = body(response)
    assert data["status"] == "open"
    assert data["gift"]["status"] == "funding"
    assert data["gift"]["claim_url"] is None
    assert data["target"] == {"value": "300.00", "currency": "CNY"}
    assert data["funded"] == {"value": "0.00", "currency": "CNY"}
    assert data["share_url"].startswith("http")
    assert not BalanceEntry.objects.filter(kind=BalanceEntry.Kind.GIFT_CHARGE).exists()
    assert chip_in_of(data).gift.partner == brand["partner"]


def test_a_funded_chip_in_reports_gift_funded_with_the_claim_link(client, brand, sku) -> None:
    chip_in = chip_in_of(body(start(brand["api"], sku)))
    chip_in_share(client, chip_in, "100", name="小红")
    chip_in_share(client, chip_in, "200", name="小刚")
    event = WebhookEvent.objects.get(partner=brand["partner"], type="gift.funded")
    assert event.data["status"] == "awaiting_recipient"
    assert event.data["claim_url"].startswith("http")
    data = body(brand["api"].get(f"/api/v1/chip-ins/gift_{chip_in.gift_id}/"))
    assert (data["status"], data["contributors"], data["share_url"]) == ("funded", 2, None)


def test_an_unfunded_chip_in_reports_funding_failed_and_refunds_each_share(
    client, brand, sku
) -> None:
    chip_in = chip_in_of(body(start(brand["api"], sku)))
    share = chip_in_share(client, chip_in, "100")
    ChipIn.objects.filter(pk=chip_in.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    chipin.chip_ins_sweep()
    event = WebhookEvent.objects.get(partner=brand["partner"], type="gift.funding_failed")
    assert event.data["status"] == "funding_failed"
    assert Refund.objects.get().payment_id == share.payment_id


def test_the_brand_cancels_its_chip_in(client, brand, sku) -> None:
    chip_in = chip_in_of(body(start(brand["api"], sku)))
    share = chip_in_share(client, chip_in, "100")
    response = brand["api"].post(f"/api/v1/chip-ins/gift_{chip_in.gift_id}/cancel/")
    assert response.status_code == 200, response.content
    assert body(response)["status"] == "cancelled"
    assert Refund.objects.get().payment_id == share.payment_id


def test_cancelling_a_funded_chip_in_is_a_conflict(client, brand, sku) -> None:
    chip_in = chip_in_of(body(start(brand["api"], sku)))
    chip_in_share(client, chip_in, "300")
    response = brand["api"].post(f"/api/v1/chip-ins/gift_{chip_in.gift_id}/cancel/")
    problem = assert_problem(response, 409, "conflict")
    assert problem["code"] == "chip-in-refused"
    assert Refund.objects.count() == 0


def test_a_sku_that_cannot_be_gifted_is_refused_and_nothing_is_made(brand) -> None:
    response = start(brand["api"], SkuFactory(price=Decimal("20000.00")))
    assert_problem(response, 422, "validation")
    assert not Gift.objects.exists()
    assert Payment.objects.count() == 0


def test_another_partners_chip_in_is_not_found(client, brand, sku) -> None:
    chip_in = chip_in_of(body(start(brand["api"], sku)))
    _, other = api_for(client, "Other")
    response = other.get(f"/api/v1/chip-ins/gift_{chip_in.gift_id}/")
    assert_problem(response, 404, "not-found")
