"""The emulator's own behaviour where the shop's tests do not reach it: real delivery of
notifications (twice in duplicate mode), the payer's page, an answer that comes late."""

import json
import threading
import urllib.error
import urllib.request
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from shop.payments.gateway import H5, GatewayTimeout, Payer
from tests.wechatpay import gateway


@pytest.fixture
def receiver():
    """A notify URL that records what reaches it and answers 204, as the shop does."""
    received: list[tuple[bytes, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, dict(self.headers)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/notify/", received
    server.shutdown()


def _start(notify_url: str, channel: str = "native", reference: str = "P1"):
    return gateway().start_payment(
        reference=reference,
        amount=Decimal("3.00"),
        description="Tea",
        return_url="http://shop.example/back/",
        notify_url=notify_url,
        payer=Payer(channel=channel, client_ip="203.0.113.7"),
    )


def test_duplicate_mode_delivers_each_notification_twice_each_verifying(
    wechatpay_settings, receiver
) -> None:
    url, received = receiver
    wechatpay_settings.mode(deliver=True, duplicate_notifications=True)
    _start(url)

    wechatpay_settings.pay("P1")

    assert len(received) == 2
    for body, headers in received:
        assert gateway().parse_notification(body=body, headers=headers).reference == "P1"
    assert wechatpay_settings.notifications()[0]["answers"] == [204, 204]


def test_the_payer_page_confirms_then_returns_to_the_shop(wechatpay_settings) -> None:
    started = _start("http://127.0.0.1:9/", H5)
    page = urllib.request.urlopen(started.redirect_url, timeout=5).read().decode()
    assert "确认支付" in page and "¥3.00" in page

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object) -> None:
            return None

    token = started.redirect_url.split("prepay_id=")[1].split("&")[0]
    form = b"action=confirm&redirect_url=http%3A%2F%2Fshop.example%2Fback%2F"
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(f"{wechatpay_settings.url}/_emulator/pay/{token}", data=form, timeout=5)

    assert answer.value.headers["Location"] == "http://shop.example/back/"
    assert gateway().query_payment(reference="P1").status == "succeeded"


def test_a_late_answer_is_a_timeout_though_the_work_was_done(wechatpay_settings) -> None:
    wechatpay_settings.mode(timeout_seconds=1.5)

    with pytest.raises(GatewayTimeout):
        _start("http://127.0.0.1:9/")

    wechatpay_settings.mode(timeout_seconds=0)
    trades = json.loads(
        urllib.request.urlopen(f"{wechatpay_settings.url}/_emulator/trades", timeout=5).read()
    )["trades"]
    assert [t["out_trade_no"] for t in trades] == ["P1"]
