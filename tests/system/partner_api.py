"""A partner on the stack: a key issued the operator's way, then the REST API over HTTP."""

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

from .stack import EXPIRY_SWEEP_SECONDS, Response, Stack, http

# Beyond the deadline plus two sweeps: the refund task's trip through the broker and worker.
REFUND_SLACK_SECONDS = 10


class PartnerApi:
    def __init__(self, stack: Stack, key: str) -> None:
        self.stack, self.key = stack, key

    def get(self, path: str) -> Response:
        return http("GET", self._url(path), headers=self._headers())

    def post(self, path: str, body: dict) -> Response:
        headers = {**self._headers(), "Idempotency-Key": f"system-{uuid.uuid4().hex}"}
        return http("POST", self._url(path), body=body, headers=headers)

    def balance(self) -> Decimal:
        answer = self.get("/api/v1/balance/")
        assert answer.status == 200, answer
        return Decimal(answer.body["available"]["value"])

    def pages(self, path: str) -> Iterator[dict]:
        """Every result of a cursor-paginated list, following `next`."""
        url = path
        while url:
            answer = self.get(url)
            assert answer.status == 200, answer
            yield from answer.body["results"]
            url = answer.body["next"]

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else self.stack.url + path

    def _headers(self) -> dict:
        return {"Authorization": f"Bearer {self.key}", "Accept": "application/json"}


def issue_key(stack: Stack, partner: str, *, top_up: str) -> PartnerApi:
    """`manage.py issue_api_key "<partner>" --top-up N`, as the README tells an operator;
    the key is the last line it prints."""
    done = stack.manage("issue_api_key", partner, "--top-up", top_up)
    assert done.returncode == 0, f"issue_api_key failed:\n{done.stdout}\n{done.stderr}"
    return PartnerApi(stack, done.stdout.strip().splitlines()[-1])


def in_stock(product: dict, *, at_most: Decimal, units: int = 1) -> dict | None:
    """The product's first active SKU with `units` in stock costing at most `at_most`."""
    for sku in product["skus"]:
        price = Decimal(sku["price"]["value"])
        if sku["is_active"] and sku["stock"] >= units and price <= at_most:
            return sku
    return None


def giftable_sku(api: PartnerApi, *, at_most: Decimal) -> dict:
    for product in api.pages("/api/v1/products/?giftable=true"):
        sku = in_stock(product, at_most=at_most) if product["status"] == "listed" else None
        if sku is not None:
            return sku
    raise AssertionError(f"The catalogue has no giftable SKU in stock at {at_most} CNY or less.")


def assert_an_unclaimed_gift_is_refunded(stack: Stack) -> None:
    """A partner gift nobody claims is expired and its money is back on the balance within
    the accept window plus two sweeps."""
    api = issue_key(stack, f"System test brand {uuid.uuid4().hex[:6]}", top_up="1000.00")
    before = api.balance()
    assert before == Decimal("1000.00")
    sku = giftable_sku(api, at_most=before)

    sent = api.post(
        "/api/v1/gifts/",
        {"sku": sku["id"], "quantity": 1, "sender_name": "系统测试", "message": "No one claims"},
    )
    assert sent.status == 201, sent
    gift = sent.body
    assert gift["status"] == "awaiting_recipient", gift
    price = Decimal(gift["amount"]["value"])
    assert api.balance() == before - price

    expires_at = datetime.fromisoformat(gift["expires_at"])
    deadline = expires_at.timestamp() + 2 * EXPIRY_SWEEP_SECONDS + REFUND_SLACK_SECONDS
    while True:
        answer = api.get(f"/api/v1/gifts/{gift['id']}/")
        assert answer.status == 200, answer
        gift, available = answer.body, api.balance()
        if gift["status"] == "refunded" and available == before:
            return
        if time.time() > deadline:
            break
        time.sleep(0.5)
    late = (datetime.now(UTC) - expires_at).total_seconds()
    raise AssertionError(
        f"{gift['id']} ({price} CNY, sent with a {stack.env['GIFT_ACCEPT_WINDOW_SECONDS']} s "
        f"window) was due to expire at {gift['expires_at']}; {late:.0f} s later (beat sweeps "
        f"every {EXPIRY_SWEEP_SECONDS} s) its status is {gift['status']!r} with "
        f"{gift['refunded_amount']['value']} CNY refunded, and the balance is {available} "
        f"CNY (it was {before} before the gift, {before - price} after).\n"
        + stack.problems_report()
    )
