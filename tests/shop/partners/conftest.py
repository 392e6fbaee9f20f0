"""Fixtures for the partner reliability tests: a webhook receiver on loopback, and helpers.

The receiver is a real HTTP server in a thread of this process, so deliveries made by the
real Celery worker (another process) and by `shop.webhooks.delivery.deliver` called here
arrive alike. It records every request (headers, raw body) and answers from a script of
statuses, e.g. 500, 500, 500 and then 200 for whatever comes after.
"""

import hashlib
import hmac
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client

from shop.partners.models import BalanceEntry, Partner
from tests.factories import SkuFactory
from tests.partners import Api, api_for

SIGNATURE_TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival

    @property
    def event(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """A partner's webhook receiver: records requests, answers the scripted statuses."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.statuses: list[int] = []  # answered in turn; then `default_status`
        self.default_status = 200
        self.redirect_to: str | None = None  # answer 302 to here instead
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.requests.append(
                        Received(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            time.monotonic(),
                        )
                    )
                    status = receiver.statuses.pop(0) if receiver.statuses else None
                status = status or receiver.default_status
                if receiver.redirect_to is not None and self.path != "/redirected":
                    self.send_response(302)
                    self.send_header("Location", receiver.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                answer = f"answer {status} #{len(receiver.requests)}".encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def received(self) -> list[Received]:
        with self._lock:
            return list(self.requests)

    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def signature_valid(received: Received, secret: str, *, now: float | None = None) -> bool:
    """The receiver's own check, written from the contract (not shop.core.signing):
    `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`."""
    header = received.headers.get("x-signature", "")
    fields = {}
    for item in header.split(","):
        name, sep, value = item.partition("=")
        if not sep:
            return False
        fields[name] = value
    if set(fields) != {"t", "v1"} or not fields["t"].isdigit():
        return False
    timestamp = int(fields["t"])
    if abs((time.time() if now is None else now) - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
        return False
    expected = hmac.new(
        secret.encode(), fields["t"].encode() + b"." + received.body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


def assert_event_body(event: dict) -> None:
    """`{"id", "type", "created", "data"}`, `created` in ISO 8601."""
    assert set(event) == {"id", "type", "created", "data"}, event
    assert isinstance(event["id"], str) and event["id"]
    assert isinstance(event["data"], dict)
    assert datetime.fromisoformat(event["created"].replace("Z", "+00:00")).tzinfo is not None


def ledger_sum(partner: Partner) -> Decimal:
    return sum(
        BalanceEntry.objects.filter(partner=partner).values_list("amount", flat=True),
        Decimal("0.00"),
    )


def gift_payload(sku: object, **changes: object) -> dict:
    payload = {"sku": f"sku_{sku.pk}", "quantity": 1, "sender_name": "品牌", "message": "新年快乐"}
    payload.update(changes)
    return payload


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Rate limits and key-use stamps live in the cache: no test inherits another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def insecure_webhooks(settings: object) -> None:
    """Loopback receivers: this process allows them through the setting, and the worker
    through its environment (`make test` sets WEBHOOK_ALLOW_INSECURE=1)."""
    settings.WEBHOOK_ALLOW_INSECURE = True  # type: ignore[attr-defined]


@pytest.fixture
def worker_env() -> None:
    """The worker inherits os.environ: it must allow loopback URLs and retry within seconds."""
    if os.environ.get("WEBHOOK_ALLOW_INSECURE") not in ("1", "true", "True", "on"):
        pytest.fail("Run with WEBHOOK_ALLOW_INSECURE=1 (make test sets it) for worker tests.")
    if os.environ.get("WEBHOOK_RETRY_BASE_SECONDS") != "1":
        pytest.fail("Run with WEBHOOK_RETRY_BASE_SECONDS=1 (make test sets it) for worker tests.")


@pytest.fixture
def no_publish(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Nothing reaches the broker: the test makes the attempts itself (`deliver`)."""
    queued: list[tuple] = []
    for module in ("shop.webhooks.outbox", "shop.webhooks.tasks", "shop.sandbox.provider"):
        monkeypatch.setattr(f"{module}.publish", lambda task, *args: queued.append(args) or True)
    return queued


@pytest.fixture
def brand(db: None) -> tuple[Partner, Api]:
    """A brand with a key and 1000.00 on its balance."""
    return api_for(Client(), "Brand", balance="1000.00")


@pytest.fixture
def sku(db: None) -> object:
    """A giftable SKU at 10.00 with plenty of stock."""
    return SkuFactory(price=Decimal("10.00"), stock=500)


def dead_broker_url() -> str:
    """A Redis URL on a port nothing listens on: every publish is refused, as with a
    stopped broker."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@contextmanager
def publishing_to(url: str) -> Iterator[None]:
    """Point this process's Celery app at another broker, and back afterwards (as
    tests/gifting/test_worker.py does): Celery reads os.environ["CELERY_BROKER_URL"], so the
    variable is switched and the app's cached connection and producer pools dropped."""
    from shop.celery import app

    def drop_pools() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    saved_env = os.environ.get("CELERY_BROKER_URL")
    saved_setting = django_settings.CELERY_BROKER_URL
    os.environ["CELERY_BROKER_URL"] = url
    django_settings.CELERY_BROKER_URL = url
    drop_pools()
    assert app.conf.broker_url == url
    try:
        yield
    finally:
        app.pool.force_close_all()
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        django_settings.CELERY_BROKER_URL = saved_setting
        drop_pools()
