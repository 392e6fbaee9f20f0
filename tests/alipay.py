"""The Alipay emulator as a real subprocess on a real socket, and the adapter pointed at it.

`alipay_gateway` is the hook for the gateway contract suite: it yields the configured
adapter and a handle on the emulator (failure modes, the payer page, the notifications it
sent), with the Django settings the adapter reads set to match.
"""

import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest

from shop.payments.gateways.alipay import SETTINGS_PATH, AlipayGateway

ROOT = Path(__file__).resolve().parents[1]
APP_ID = "2021000000000001"
PORTS = range(8110, 8120)  # this suite's own ports
# The adapter gives up after CLIENT_TIMEOUT; the emulator's "timeout" mode answers later.
CLIENT_TIMEOUT = 1.0
HANG = 2.5


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"No free port in {PORTS.start}-{PORTS.stop - 1}.")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class _FormAction(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "form":
            self.action = dict(attrs).get("action") or ""


@dataclass
class PayerPage:
    status: int
    text: str
    location: str = ""


@dataclass
class EmulatorControl:
    """The test's side of the emulator: its control endpoints and its payer page."""

    base_url: str
    keys_dir: Path

    @property
    def gateway_url(self) -> str:
        return f"{self.base_url}/gateway.do"

    def _call(self, path: str, payload: dict | None = None) -> object:
        data = None if payload is None else json.dumps(payload).encode()
        with urllib.request.urlopen(f"{self.base_url}{path}", data=data, timeout=10) as answer:
            return json.loads(answer.read())

    def mode(self, name: str, *, times: int = 1, hang: float = HANG) -> None:
        self._call("/_emulator/mode", {"mode": name, "times": times, "hang": hang})

    def reset(self) -> None:
        self._call("/_emulator/reset", {})

    def notifications(self) -> list[dict]:
        return self._call("/_emulator/notifications")  # type: ignore[return-value]

    def trades(self) -> dict:
        return self._call("/_emulator/trades")  # type: ignore[return-value]

    def open(self, redirect_url: str) -> PayerPage:
        """The shopper's browser opening the URL the adapter redirects to."""
        return self._fetch(urllib.request.Request(redirect_url))

    def act(self, redirect_url: str, action: str = "confirm") -> PayerPage:
        """Open the payer page and press confirm or decline."""
        page = self.open(redirect_url)
        form = _FormAction()
        form.feed(page.text)
        assert form.action, page.text
        return self._fetch(
            urllib.request.Request(
                urljoin(self.base_url, form.action), data=f"action={action}".encode()
            )
        )

    @staticmethod
    def _fetch(request: urllib.request.Request) -> PayerPage:
        try:
            with _opener.open(request, timeout=10) as answer:
                return PayerPage(answer.status, answer.read().decode())
        except urllib.error.HTTPError as answer:
            return PayerPage(
                answer.code, answer.read().decode(), answer.headers.get("Location", "")
            )


@pytest.fixture(scope="session")
def alipay_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorControl]:
    keys = tmp_path_factory.mktemp("alipay-keys")
    log = keys / "emulator.log"
    port = free_port()
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "shop.emulators.alipay", "--port", str(port),
             "--keys-dir", str(keys), "--app-id", APP_ID,
             "--notify-attempts", "3", "--notify-interval", "0.2"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True,
        )  # fmt: skip
    try:
        ready = process.stdout.readline()  # type: ignore[union-attr]
        assert ready.startswith("Alipay emulator on"), log.read_text()
        yield EmulatorControl(base_url=f"http://127.0.0.1:{port}", keys_dir=keys)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def alipay_settings(alipay_emulator: EmulatorControl, settings: object) -> object:
    """Django settings for the adapter, pointed at the emulator (as the lead's settings
    will read them from ALIPAY_* environment variables)."""
    settings.PAYMENT_GATEWAY = SETTINGS_PATH  # type: ignore[attr-defined]
    settings.ALIPAY_APP_ID = APP_ID  # type: ignore[attr-defined]
    settings.ALIPAY_PRIVATE_KEY_PATH = str(alipay_emulator.keys_dir / "app_private.pem")  # type: ignore[attr-defined]
    settings.ALIPAY_PUBLIC_KEY_PATH = str(alipay_emulator.keys_dir / "alipay_public.pem")  # type: ignore[attr-defined]
    settings.ALIPAY_GATEWAY_URL = alipay_emulator.gateway_url  # type: ignore[attr-defined]
    settings.ALIPAY_TIMEOUT_SECONDS = CLIENT_TIMEOUT  # type: ignore[attr-defined]
    return settings


@pytest.fixture
def alipay_gateway(
    alipay_emulator: EmulatorControl, alipay_settings: object
) -> Iterator[tuple[AlipayGateway, EmulatorControl]]:
    alipay_emulator.reset()
    yield AlipayGateway(), alipay_emulator
