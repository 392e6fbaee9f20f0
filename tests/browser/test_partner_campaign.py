"""The partner API's "done when": a brand's gift campaign, end to end.

A brand with an API key and a topped-up balance registers a webhook endpoint, sends 100
gifts through the API; three recipients accept theirs in the browser, the other 97 expire
and the real Celery worker refunds them to the balance. The brand's receiver (a real HTTP
server on loopback) gets every event, signed, each id once after de-duplication. Then the
API docs page shows every path of the schema.
"""

import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from gifting.models import Gift
from gifting.tasks import expire_due_gifts_task
from shop.partners.models import BalanceEntry, WebhookDelivery, WebhookEvent
from shop.payments.models import Refund
from tests.conftest import wait_until
from tests.factories import SkuFactory
from tests.partners import api_for
from tests.shop.partners.conftest import Receiver, assert_event_body, ledger_sum, signature_valid

GIFTS = 100
CLAIMED = 3
TOP_UP = Decimal("2000.00")
PRICE = Decimal("10.00")
GIFT_EVENTS = [
    "gift.accepted",
    "gift.declined",
    "gift.expired",
    "gift.cancelled",
    "gift.refunded",
    "gift.shipped",
]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def campaign_site(settings: object, server_url: str, celery_worker: object) -> str:
    """Claim links point at the live server; the worker allows the loopback receiver."""
    if os.environ.get("WEBHOOK_ALLOW_INSECURE") not in ("1", "true", "True", "on"):
        pytest.fail("Run with WEBHOOK_ALLOW_INSECURE=1 (make test sets it).")
    settings.SITE_URL = server_url  # type: ignore[attr-defined]
    settings.WEBHOOK_ALLOW_INSECURE = True  # type: ignore[attr-defined]
    return server_url


def _accept(page: Page, claim_url: str, n: int) -> None:
    """A recipient opens the link on a phone and accepts, giving an address."""
    page.goto(claim_url)
    expect(page.locator(".gift-card")).to_contain_text("A gift from 品牌")
    page.get_by_role("textbox", name="Name", exact=True).fill("李小红")
    page.get_by_role("textbox", name="Phone").fill(f"139 1234 56{n:02d}")
    page.get_by_role("combobox", name="Province").select_option(value="浙江省")
    page.get_by_role("combobox", name="City").select_option(value="杭州市")
    page.get_by_role("combobox", name="District").select_option(value="西湖区")
    page.get_by_role("textbox", name="Address", exact=True).fill("文三路 478 号")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Accept gift").click()
    assert posted.value.status == 302
    expect(page.get_by_role("heading", name="You accepted this gift")).to_be_visible()


def test_a_brand_campaign_of_100_gifts_claimed_expired_refunded_and_reported_by_webhook(
    page: Page, campaign_site: str, receiver: Receiver
) -> None:
    started = time.monotonic()
    partner, api = api_for(Client(), "Brand", balance=f"{TOP_UP}")
    sku = SkuFactory(price=PRICE, stock=GIFTS + 10)
    created = api.post("/api/v1/webhook-endpoints/", {"url": receiver.url, "events": GIFT_EVENTS})
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]

    # 100 gifts through the API, each with its own idempotency key.
    gifts = []
    for n in range(GIFTS):
        response = api.post(
            "/api/v1/gifts/",
            {"sku": f"sku_{sku.pk}", "quantity": 1, "sender_name": "品牌", "message": "新年快乐"},
            headers={"Idempotency-Key": f"campaign-{n}"},
        )
        assert response.status_code == 201, response.content
        gifts.append(response.json())
    sent_at = time.monotonic()
    partner.refresh_from_db()
    assert partner.balance == TOP_UP - GIFTS * PRICE
    assert all(g["claim_url"].startswith(campaign_site) for g in gifts)

    # Three recipients accept in the browser.
    for n, gift in enumerate(gifts[:CLAIMED]):
        _accept(page, gift["claim_url"], n)
    claimed_ids = {g["id"] for g in gifts[:CLAIMED]}
    claimed_at = time.monotonic()

    # The rest run out of time: beat's expiry sweep runs on the worker, which refunds them.
    Gift.objects.filter(status=Gift.Status.AWAITING_RECIPIENT).update(expires_at=timezone.now())
    expire_due_gifts_task.delay()
    expired = GIFTS - CLAIMED
    expected = {"gift.accepted": CLAIMED, "gift.expired": expired, "gift.refunded": expired}

    def every_event_arrived() -> bool:
        ids = {r.event["id"] for r in receiver.received()}
        return len(ids) >= sum(expected.values())

    assert wait_until(every_event_arrived, timeout=60), Counter(
        r.event["type"] for r in receiver.received()
    )
    time.sleep(1)  # anything duplicated or extra would arrive now
    done_at = time.monotonic()

    # The money: only the accepted gifts are spent; the ledger agrees.
    partner.refresh_from_db()
    assert partner.balance == TOP_UP - CLAIMED * PRICE == ledger_sum(partner)
    refunds = BalanceEntry.objects.filter(partner=partner, kind=BalanceEntry.Kind.REFUND)
    assert refunds.count() == expired
    assert set(Refund.objects.values_list("status", flat=True)) == {Refund.Status.SUCCEEDED}

    # The webhooks: every event, signed, each id once after de-duplication.
    received = receiver.received()
    assert all(signature_valid(r, secret) for r in received)
    unique = {}
    for r in received:
        event = r.event
        assert_event_body(event)
        assert unique.setdefault(event["id"], r.body) == r.body  # a repeat is the same event
    by_type = Counter(json.loads(body)["type"] for body in unique.values())
    assert dict(by_type) == expected
    assert set(unique) == set(WebhookEvent.objects.values_list("public_id", flat=True))
    gifts_by_type: dict[str, set[str]] = {}
    for body in unique.values():
        event = json.loads(body)
        gifts_by_type.setdefault(event["type"], set()).add(event["data"]["id"])
    others = {g["id"] for g in gifts} - claimed_ids
    statuses = {
        (event["type"], event["data"]["status"], event["data"]["refunded_amount"]["value"])
        for event in map(json.loads, unique.values())
    }
    assert statuses == {
        ("gift.accepted", "accepted", "0.00"),
        ("gift.expired", "expired", "0.00"),
        ("gift.refunded", "refunded", "10.00"),
    }
    assert gifts_by_type == {
        "gift.accepted": claimed_ids,
        "gift.expired": others,
        "gift.refunded": others,
    }
    assert WebhookDelivery.objects.exclude(status=WebhookDelivery.Status.SUCCEEDED).count() == 0
    # The API agrees: the accepted gifts and (a page of) the refunded ones.
    accepted = api.get("/api/v1/gifts/", status="accepted").json()["results"]
    assert {g["id"] for g in accepted} == claimed_ids
    refunded = api.get("/api/v1/gifts/", status="refunded").json()["results"]
    assert refunded and {g["id"] for g in refunded} <= others

    # The docs page shows the whole API.
    schema = json.loads(Client().get("/api/schema/", {"format": "json"}).content)
    page.goto("/api/docs/")
    expect(page.locator(".opblock").first).to_be_visible()
    shown = set(
        page.locator(".opblock-summary-path").evaluate_all(
            "els => els.map(e => e.getAttribute('data-path'))"
        )
    )
    assert shown == set(schema["paths"])
    print(
        f"\ncampaign: {GIFTS} gifts sent in {sent_at - started:.1f} s, "
        f"{CLAIMED} claimed in {claimed_at - sent_at:.1f} s, "
        f"{expired} expired+refunded+{len(unique)} events in {done_at - claimed_at:.1f} s, "
        f"{len(received)} webhook requests; total {time.monotonic() - started:.1f} s"
    )
