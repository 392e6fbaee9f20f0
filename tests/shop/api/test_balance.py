"""`GET /api/v1/balance/`: what is available and the ledger (top-ups, charges, refunds)."""

from decimal import Decimal

import pytest
from django.test import Client

from gifting.models import Gift
from shop.partners import services
from shop.payments import services as payments
from shop.payments.models import Refund
from tests.factories import SkuFactory
from tests.partners import api_for

from .conftest import body, send_gift

pytestmark = pytest.mark.django_db


def test_a_new_partner_has_nothing(client: Client) -> None:
    _, api = api_for(client, "New")
    data = body(api.get("/api/v1/balance/"))
    assert data["available"] == {"value": "0.00", "currency": "CNY"}
    assert data["entries"] == []
    assert data["next"] is None


def test_the_ledger_lists_top_ups_charges_and_refunds_newest_first(client: Client) -> None:
    partner, api = api_for(client, "Brand", balance="1000.00")
    sku = SkuFactory(price=Decimal("120.00"))
    gift = body(send_gift(api, sku))
    api.post(f"/api/v1/gifts/{gift['id']}/cancel/")
    refunds = Refund.objects.filter(payment__gift__pk=int(gift["id"].removeprefix("gift_")))
    payments.refunds_execute(refund_ids=list(refunds.values_list("pk", flat=True)))
    services.balance_top_up(partner=partner, amount=Decimal("50.00"), reference="wire-2")

    data = body(api.get("/api/v1/balance/"))
    assert data["available"] == {"value": "1050.00", "currency": "CNY"}
    rows = [(e["kind"], e["amount"]["value"], e["balance_after"]["value"]) for e in data["entries"]]
    assert rows == [
        ("top_up", "50.00", "1050.00"),
        ("refund", "120.00", "1000.00"),
        ("gift_charge", "-120.00", "880.00"),
        ("top_up", "1000.00", "1000.00"),
    ]
    assert all(e["id"].startswith("bal_") for e in data["entries"])
    payment_reference = Gift.objects.get().payment.reference
    assert data["entries"][2]["reference"] == payment_reference
    assert data["entries"][1]["reference"] == payment_reference


def test_the_ledger_is_cursor_paginated(client: Client) -> None:
    partner, api = api_for(client, "Brand", balance="10.00")
    for n in range(4):
        services.balance_top_up(partner=partner, amount=Decimal("1.00"), reference=f"r{n}")
    page = body(api.get("/api/v1/balance/", limit=2))
    assert len(page["entries"]) == 2 and page["next"]
    assert page["available"] == {"value": "14.00", "currency": "CNY"}
    seen = [e["id"] for e in page["entries"]]
    while page["next"]:
        path = page["next"].split("testserver", 1)[1]
        page = body(api.client.get(path, HTTP_AUTHORIZATION=f"Bearer {api.key}"))
        seen += [e["id"] for e in page["entries"]]
    assert len(seen) == len(set(seen)) == 5


def test_the_balance_is_read_fresh_on_every_request(client: Client) -> None:
    partner, api = api_for(client, "Brand", balance="10.00")
    assert body(api.get("/api/v1/balance/"))["available"]["value"] == "10.00"
    services.balance_top_up(partner=partner, amount=Decimal("5.00"), reference="later")
    assert body(api.get("/api/v1/balance/"))["available"]["value"] == "15.00"
