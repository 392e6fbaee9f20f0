"""Gift creation under concurrency, through the running API (`live_server`): 20 clients at
once, each request in its own server thread with its own database connection."""

import json
import threading
import urllib.error
import urllib.request
from decimal import Decimal

import pytest

from gifting.models import Gift
from shop.catalogue.models import StockRecord
from shop.partners.models import BalanceEntry, IdempotencyRecord
from tests.factories import SkuFactory
from tests.partners import partner_with_key

from .conftest import gift_payload, ledger_sum

CLIENTS = 20


@pytest.fixture(autouse=True)
def _no_webhooks_or_broker(no_publish: list) -> None:
    """No endpoint is registered, and nothing here needs a worker."""


def post_all_at_once(url: str, key: str, payload: dict, headers: dict | None = None) -> list:
    """POST the same request from CLIENTS threads released together; (status, body) each."""
    barrier = threading.Barrier(CLIENTS)
    answers: list[tuple[int, dict, dict]] = []
    lock = threading.Lock()

    def one() -> None:
        request = urllib.request.Request(
            url,
            data=json.dumps(payload).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {key}",
                "Content-Type": "application/json",
                **(headers or {}),
            },
        )
        barrier.wait(timeout=10)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answer = (response.status, json.loads(response.read()), dict(response.headers))
        except urllib.error.HTTPError as error:
            answer = (error.code, json.loads(error.read()), dict(error.headers))
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=one) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads), "a request never answered"
    assert len(answers) == CLIENTS
    return answers


def test_20_identical_requests_with_one_idempotency_key_create_and_charge_one_gift(
    live_server,
) -> None:
    partner, key = partner_with_key("Brand", balance="1000.00")
    sku = SkuFactory(price=Decimal("10.00"), stock=100)

    answers = post_all_at_once(
        f"{live_server.url}/api/v1/gifts/",
        key,
        gift_payload(sku),
        {"Idempotency-Key": "campaign-2026-0001"},
    )

    assert [status for status, _, _ in answers] == [201] * CLIENTS
    bodies = {json.dumps(body, sort_keys=True) for _, body, _ in answers}
    assert len(bodies) == 1, bodies  # the very same gift, every time
    gift = Gift.objects.get()
    assert json.loads(bodies.pop())["id"] == f"gift_{gift.pk}"
    replayed = [h.get("Idempotent-Replayed") for _, _, h in answers]
    assert replayed.count("true") == CLIENTS - 1
    charges = BalanceEntry.objects.filter(partner=partner, kind=BalanceEntry.Kind.GIFT_CHARGE)
    assert [c.amount for c in charges] == [Decimal("-10.00")]
    partner.refresh_from_db()
    assert partner.balance == Decimal("990.00") == ledger_sum(partner)
    assert IdempotencyRecord.objects.count() == 1
    assert StockRecord.objects.get(sku=sku).quantity == 99


def test_20_requests_at_once_on_a_balance_for_5_gifts_make_exactly_5(live_server) -> None:
    partner, key = partner_with_key("Brand", balance="50.00")
    sku = SkuFactory(price=Decimal("10.00"), stock=100)

    answers = post_all_at_once(f"{live_server.url}/api/v1/gifts/", key, gift_payload(sku))

    statuses = sorted(status for status, _, _ in answers)
    assert statuses == [201] * 5 + [402] * 15
    refused = [body for status, body, _ in answers if status == 402]
    assert all(body["status"] == 402 for body in refused)
    created = {body["id"] for status, body, _ in answers if status == 201}
    assert created == {f"gift_{pk}" for pk in Gift.objects.values_list("pk", flat=True)}
    assert len(created) == 5
    partner.refresh_from_db()
    assert partner.balance == Decimal("0.00") == ledger_sum(partner)
    entries = BalanceEntry.objects.filter(partner=partner)
    assert entries.filter(kind=BalanceEntry.Kind.GIFT_CHARGE).count() == 5
    assert min(entries.values_list("balance_after", flat=True)) == Decimal("0.00")
    # The refused gifts left nothing behind: no reserved stock, no payment.
    assert StockRecord.objects.get(sku=sku).quantity == 95
