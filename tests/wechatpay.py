"""The WeChat Pay emulator as the tests run it: a real subprocess on a real port, and the
shop's WECHATPAY_* settings pointed at it (keys from the emulator's key directory)."""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shop.emulators.wechatpay.keys import (
    MERCHANT_KEY,
    PLATFORM_CERT,
    PLATFORM_PUBLIC_KEY,
    load_or_create,
)
from shop.payments.gateways import wechatpay

MCHID, APPID, APP_SECRET = "1900000109", "wxd678efh567hg6787", "test-app-secret"
APIV3_KEY = "0123456789abcdef0123456789abcdef"
PORTS = range(8100, 8110)  # this worktree's ports


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError(f"No free port in {PORTS}")


@dataclass
class Emulator:
    url: str
    key_dir: Path
    process: subprocess.Popen

    def control(self, path: str, data: dict | None = None, method: str = "POST") -> dict:
        body = json.dumps(data or {}).encode() if method == "POST" else None
        request = urllib.request.Request(f"{self.url}/_emulator/{path}", data=body, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def mode(self, **modes: object) -> dict:
        return self.control("mode", modes)

    def pay(self, token: str, approve: bool = True) -> dict:
        form = f"action={'confirm' if approve else 'decline'}".encode()
        request = urllib.request.Request(f"{self.url}/_emulator/pay/{token}", data=form)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def notifications(self) -> list[dict]:
        return self.control("notifications", method="GET")["notifications"]


@pytest.fixture(scope="session")
def wechatpay_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    key_dir = tmp_path_factory.mktemp("wechatpay-keys")
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shop.emulators.wechatpay",
            "--port",
            str(port),
            "--key-dir",
            str(key_dir),
            "--mchid",
            MCHID,
            "--appid",
            APPID,
            "--app-secret",
            APP_SECRET,
            "--apiv3-key",
            APIV3_KEY,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert "WeChat Pay emulator on" in process.stdout.readline()
    emulator = Emulator(f"http://127.0.0.1:{port}", key_dir, process)
    yield emulator
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def wechatpay_settings(wechatpay_emulator: Emulator, settings) -> Emulator:
    """Settings for the emulator (both platform identities trusted), its state reset,
    notifications recorded and not delivered (tests hand them to the notify view)."""
    keys = load_or_create(wechatpay_emulator.key_dir)
    settings.WECHATPAY_MCHID, settings.WECHATPAY_APPID = MCHID, APPID
    settings.WECHATPAY_APP_SECRET, settings.WECHATPAY_APIV3_KEY = APP_SECRET, APIV3_KEY
    settings.WECHATPAY_CERT_SERIAL_NO = keys.merchant_serial
    settings.WECHATPAY_PRIVATE_KEY_PATH = str(wechatpay_emulator.key_dir / MERCHANT_KEY)
    settings.WECHATPAY_PLATFORM_CERT_PATH = str(wechatpay_emulator.key_dir / PLATFORM_CERT)
    settings.WECHATPAY_PUBLIC_KEY_PATH = str(wechatpay_emulator.key_dir / PLATFORM_PUBLIC_KEY)
    settings.WECHATPAY_PUBLIC_KEY_ID = keys.public_key_id
    for name in ("API_BASE", "OAUTH_BASE", "SNS_BASE"):
        setattr(settings, f"WECHATPAY_{name}", wechatpay_emulator.url)
    settings.WECHATPAY_TIMEOUT_SECONDS = 1.0
    wechatpay_emulator.control("reset")
    wechatpay_emulator.mode(deliver=False)
    return wechatpay_emulator


def gateway() -> wechatpay.WeChatPayGateway:
    return wechatpay.WeChatPayGateway()


def wait_for_exit(process: subprocess.Popen, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
