"""Webhook endpoints: create (the secret shown once), read, delete, and their deliveries.
URLs must be public https unless WEBHOOK_ALLOW_INSECURE is on."""

import pytest
from django.test import Client

from gifting.models import Gift
from shop.partners.models import WebhookDelivery, WebhookEndpoint
from tests.factories import SkuFactory
from tests.partners import api_for

from .conftest import assert_problem, body, send_gift

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhook-endpoints/"
PUBLIC_IP_URL = "https://93.184.215.14/hooks/gifts"  # a global address: no DNS needed


@pytest.fixture
def brand(client: Client) -> dict:
    partner, api = api_for(client, "Brand", balance="1000.00")
    return {"partner": partner, "api": api}


def create(api, url: str = "https://hooks.example.com/x", events=("gift.cancelled",)):
    return api.post(URL, {"url": url, "events": list(events)})


def test_an_endpoint_is_created_with_its_secret(brand) -> None:
    response = create(brand["api"], events=["gift.cancelled", "order.paid"])
    assert response.status_code == 201, response.content
    data = body(response)
    assert data["id"].startswith("whe_")
    assert data["url"] == "https://hooks.example.com/x"
    assert sorted(data["events"]) == ["gift.cancelled", "order.paid"]
    assert isinstance(data["secret"], str) and len(data["secret"]) >= 32
    assert WebhookEndpoint.objects.get().secret == data["secret"]


def test_the_secret_is_never_shown_again(brand) -> None:
    created = body(create(brand["api"]))
    listed = brand["api"].get(URL)
    detail = brand["api"].get(f"{URL}{created['id']}/")
    for response in (listed, detail):
        assert response.status_code == 200
        assert created["secret"] not in response.content.decode()
        assert "secret" not in response.content.decode()
    assert body(detail)["id"] == created["id"]
    assert [e["id"] for e in body(listed)["results"]] == [created["id"]]


def test_each_endpoint_has_its_own_secret(brand) -> None:
    one = body(create(brand["api"], url="https://hooks.example.com/1"))
    two = body(create(brand["api"], url="https://hooks.example.com/2"))
    assert one["secret"] != two["secret"]


@pytest.mark.parametrize(
    "url",
    ["http://hooks.example.com/x", "http://93.184.215.14/x", "ftp://hooks.example.com/x"],
)
def test_a_url_that_is_not_https_is_refused_by_default(brand, settings, url) -> None:
    settings.WEBHOOK_ALLOW_INSECURE = False
    problem = assert_problem(create(brand["api"], url=url), 422, "validation")
    assert list(problem["errors"]) == ["url"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/x",
        "https://localhost/x",
        "https://[::1]/x",
        "https://10.1.2.3/x",
        "https://192.168.0.10/x",
        "https://172.16.0.1/x",
        "https://169.254.169.254/latest/meta-data/",
        "https://0.0.0.0/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://93.184.215.14@127.0.0.1/x",
        "https://127.1/x",
        "https://2130706433/x",
    ],
)
def test_https_to_a_private_or_loopback_address_is_refused(brand, settings, url) -> None:
    settings.WEBHOOK_ALLOW_INSECURE = False
    problem = assert_problem(create(brand["api"], url=url), 422, "validation")
    assert list(problem["errors"]) == ["url"]
    assert not WebhookEndpoint.objects.exists()


def test_https_to_a_public_address_is_accepted_by_default(brand, settings) -> None:
    settings.WEBHOOK_ALLOW_INSECURE = False
    assert create(brand["api"], url=PUBLIC_IP_URL).status_code == 201


def test_the_insecure_setting_allows_http_and_loopback(brand, settings) -> None:
    settings.WEBHOOK_ALLOW_INSECURE = True
    assert create(brand["api"], url="http://127.0.0.1:8001/hook").status_code == 201


@pytest.mark.parametrize(
    ("events", "field"),
    [
        (["gift.teleported"], "events"),
        (["gift.cancelled", "nope"], "events"),
        ([], "events"),
        ("gift.cancelled", "events"),
    ],
    ids=["unknown", "one-unknown", "none", "not-a-list"],
)
def test_an_unknown_or_missing_event_type_is_422(brand, events, field) -> None:
    response = brand["api"].post(URL, {"url": "https://hooks.example.com/x", "events": events})
    problem = assert_problem(response, 422, "validation")
    assert any(key.split(".")[0].split("[")[0] == field for key in problem["errors"])
    assert not WebhookEndpoint.objects.exists()


def test_a_missing_or_malformed_url_is_422(brand) -> None:
    for payload in ({"events": ["order.paid"]}, {"url": "not a url", "events": ["order.paid"]}):
        problem = assert_problem(brand["api"].post(URL, payload), 422, "validation")
        assert "url" in problem["errors"]


def test_a_deleted_endpoint_is_204_then_404_and_gets_nothing_more(brand) -> None:
    created = body(create(brand["api"]))
    path = f"{URL}{created['id']}/"
    response = brand["api"].delete(path)
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(brand["api"].get(path), 404, "not-found")
    assert_problem(brand["api"].delete(path), 404, "not-found")
    assert body(brand["api"].get(URL))["results"] == []
    gift = body(send_gift(brand["api"], SkuFactory()))
    brand["api"].post(f"/api/v1/gifts/{gift['id']}/cancel/")
    assert not WebhookDelivery.objects.exists()


def test_deliveries_are_listed_for_subscribed_events_only(brand) -> None:
    endpoint = body(create(brand["api"], events=["gift.cancelled"]))
    other = body(create(brand["api"], url="https://hooks.example.com/y", events=["order.paid"]))
    gift = body(send_gift(brand["api"], SkuFactory()))
    brand["api"].post(f"/api/v1/gifts/{gift['id']}/cancel/")

    response = brand["api"].get(f"{URL}{endpoint['id']}/deliveries/")
    assert response.status_code == 200
    page = body(response)
    assert page["next"] is None
    [delivery] = page["results"]
    assert delivery["id"].startswith("whd_")
    assert delivery["event"].startswith("evt_")
    assert delivery["type"] == "gift.cancelled"
    assert delivery["status"] == "pending"
    assert delivery["attempts"] == 0
    assert body(brand["api"].get(f"{URL}{other['id']}/deliveries/"))["results"] == []


def test_the_event_carries_the_gift_as_the_api_shows_it(brand) -> None:
    create(brand["api"], events=["gift.cancelled"])
    gift = body(send_gift(brand["api"], SkuFactory()))
    cancelled = body(brand["api"].post(f"/api/v1/gifts/{gift['id']}/cancel/"))
    event = WebhookDelivery.objects.select_related("event").get().event
    assert event.data["id"] == gift["id"] == cancelled["id"]
    assert event.data["status"] == "cancelled"
    assert Gift.objects.get().partner == brand["partner"]


def test_a_url_that_turns_private_later_is_not_called(brand, settings, monkeypatch) -> None:
    """The check runs again before each delivery (a host name can resolve elsewhere)."""
    from shop.webhooks import delivery

    settings.WEBHOOK_ALLOW_INSECURE = True
    create(brand["api"], url="https://127.0.0.1/hook", events=["gift.cancelled"])
    gift = body(send_gift(brand["api"], SkuFactory()))
    brand["api"].post(f"/api/v1/gifts/{gift['id']}/cancel/")
    settings.WEBHOOK_ALLOW_INSECURE = False
    calls = []
    monkeypatch.setattr(delivery, "_post", lambda *args: calls.append(args) or (200, "", ""))
    outcome = delivery.deliver(WebhookDelivery.objects.get().pk)
    assert calls == []
    assert outcome == WebhookDelivery.Status.PENDING
    listed = body(
        brand["api"].get(f"{URL}{body(brand['api'].get(URL))['results'][0]['id']}/deliveries/")
    )
    assert listed["results"][0]["error"]


class _Receiver:
    """A local HTTP server that records what it is sent and answers `status`."""

    def __init__(self, status: int = 200) -> None:
        import http.server
        import threading

        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                received.append((dict(self.headers), self.rfile.read(length)))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"thanks")

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(status: int = 200) -> _Receiver:
        made.append(_Receiver(status))
        return made[-1]

    yield make
    for server in made:
        server.close()


def test_a_delivery_is_signed_with_the_endpoint_secret(brand, receiver) -> None:
    import json

    from shop.core import signing
    from shop.webhooks import delivery

    server = receiver(200)
    endpoint = body(create(brand["api"], url=server.url, events=["gift.cancelled"]))
    gift = body(send_gift(brand["api"], SkuFactory()))
    brand["api"].post(f"/api/v1/gifts/{gift['id']}/cancel/")
    assert delivery.deliver(WebhookDelivery.objects.get().pk) == WebhookDelivery.Status.SUCCEEDED
    [(headers, raw)] = server.received
    assert signing.verify(raw, headers["X-Signature"], endpoint["secret"])
    event = json.loads(raw)
    assert event["type"] == "gift.cancelled"
    assert event["id"].startswith("evt_")
    assert event["data"]["id"] == gift["id"]
    listed = body(brand["api"].get(f"{URL}{endpoint['id']}/deliveries/"))["results"][0]
    assert (listed["status"], listed["attempts"], listed["response_status"]) == (
        "succeeded",
        1,
        200,
    )
    assert listed["event"] == event["id"]
    assert listed["delivered_at"]


def test_a_failed_delivery_is_retried_later(brand, receiver) -> None:
    from shop.webhooks import delivery

    server = receiver(500)
    endpoint = body(create(brand["api"], url=server.url, events=["gift.cancelled"]))
    gift = body(send_gift(brand["api"], SkuFactory()))
    brand["api"].post(f"/api/v1/gifts/{gift['id']}/cancel/")
    pk = WebhookDelivery.objects.get().pk
    assert delivery.deliver(pk) == WebhookDelivery.Status.PENDING
    assert delivery.deliver(pk) is None  # not due again yet
    assert len(server.received) == 1
    listed = body(brand["api"].get(f"{URL}{endpoint['id']}/deliveries/"))["results"][0]
    assert (listed["status"], listed["attempts"], listed["response_status"]) == (
        "pending",
        1,
        500,
    )
    from datetime import datetime

    retry_at = datetime.fromisoformat(listed["next_attempt_at"])
    assert retry_at > datetime.fromisoformat(listed["created"])
