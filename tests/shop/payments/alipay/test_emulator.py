"""The emulator behaves as Alipay does where the adapter cannot see it: it refuses a pay
request whose signature fails, and POSTs notifications until the shop answers `success`."""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from tests.alipay import free_port

from .flows import pending_payment, start

pytestmark = pytest.mark.django_db


class _Shop(BaseHTTPRequestHandler):
    """A notify endpoint that answers `fail` first, then `success`."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.headers["Content-Type"], body))  # type: ignore[attr-defined]
        answer = b"fail" if len(self.server.received) == 1 else b"success"  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def shop() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Shop)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _answers_when_settled(control, count: int) -> list[str]:
    """Wait (up to 10 s) until the emulator has had `count` answers to its notification."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        (outgoing,) = control.notifications()
        if len(outgoing["answers"]) >= count:
            return outgoing["answers"]
        time.sleep(0.05)
    raise AssertionError(f"The emulator did not deliver {count} times: {outgoing}")


def test_a_notification_is_posted_as_a_signed_form_until_the_shop_says_success(
    alipay_gateway, shop
):
    gateway, control = alipay_gateway
    payment = pending_payment()
    redirect_url = start(
        gateway, payment, notify_url=f"http://127.0.0.1:{shop.server_port}/payments/notify/alipay/"
    )

    control.act(redirect_url, "confirm")

    assert _answers_when_settled(control, 2) == ["fail", "success"]
    (content_type, first), (_, second) = shop.received
    assert content_type.startswith("application/x-www-form-urlencoded")
    assert first == second
    assert gateway.parse_notification(body=first, headers={}).reference == payment.reference


def test_a_pay_request_changed_after_signing_is_refused(alipay_gateway):
    gateway, control = alipay_gateway
    payment = pending_payment("88.80")
    url = start(gateway, payment, notify_url="")
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["biz_content"] = json.dumps({**json.loads(query["biz_content"]), "total_amount": "0.01"})

    page = control.open(parts._replace(query=urlencode(query)).geturl())

    assert page.status == 400 and "isv.invalid-signature" in page.text
    assert control.trades() == {}
