"""The Aliyun SMS emulator on loopback, and the locmem SMS backend's outbox."""

import threading
from collections.abc import Iterator
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from shop.emulators.aliyun_sms.app import AliyunSmsEmulator
from shop.notices.backends import locmem

TEMPLATES = {
    "SMS_100001": "你已接受${sender_name}送的${product}，查看物流：${tracking_url}",
    "SMS_100002": "${sender_name}送的${product}已发货：${carrier} ${tracking_number}",
}


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def aliyun(settings: object) -> Iterator[AliyunSmsEmulator]:
    """The emulator, and the shop's ALIBABA_SMS_* settings pointing at it."""
    emulator = AliyunSmsEmulator(
        access_keys={"LTAI-test-key": "test-secret"},
        sign_names={"礼物商城"},
        templates=TEMPLATES,
    )
    server = make_server("127.0.0.1", 0, emulator, server_class=_Server, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "shop.notices.backends.aliyun.AliyunSmsBackend"
    settings.ALIBABA_SMS_ACCESS_KEY_ID = "LTAI-test-key"
    settings.ALIBABA_SMS_ACCESS_KEY_SECRET = "test-secret"
    settings.ALIBABA_SMS_SIGN_NAME = "礼物商城"
    settings.ALIBABA_SMS_ENDPOINT = f"127.0.0.1:{server.server_port}"
    settings.ALIBABA_SMS_PROTOCOL = "http"
    settings.ALIBABA_SMS_TEMPLATES = {
        "gift_tracking": "SMS_100001",
        "gift_shipped_recipient": "SMS_100002",
    }
    yield emulator
    server.shutdown()
    server.server_close()


@pytest.fixture
def sms_outbox(settings: object) -> list:
    settings.SMS_BACKEND = "shop.notices.backends.locmem.LocmemSmsBackend"
    locmem.outbox.clear()
    return locmem.outbox
