"""Which addresses a webhook may reach, and that a delivery connects to the address it
checked: the host is resolved once per attempt, so a name that answers a public address
first and 127.0.0.1 next (DNS rebinding) never reaches the shop's own network.

The resolver is the outside edge: `socket.getaddrinfo` is faked for the test's host name
only. Where a test must see which address was dialled without dialling the internet, the
TCP connect (`outbound.connect`) is the edge it records.
"""

import json
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from pathlib import Path

import pytest
from django.test import Client

from shop.partners.models import WebhookDelivery
from shop.webhooks import delivery, outbound
from tests.partners import Api, api_for

from .conftest import Receiver
from .test_delivery import cancelled_gift, hook

S = WebhookDelivery.Status
HOST = "hooks.example.test"
PUBLIC = "93.184.215.14"

# Python 3.11's `is_global` passes the first six; the rest are the usual suspects.
NOT_PUBLIC = [
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "::127.0.0.1",  # IPv4-compatible
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "fec0::1",  # site-local
    "192.0.0.8",  # IANA special purpose (IPv4 dummy address)
    "64:ff9b:1::a00:1",  # local-use NAT64
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "2001::1",  # Teredo
    "2001:db8::1",
    "5f00::1",  # SRv6
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "192.0.0.170",
    "192.0.2.1",
    "198.18.0.1",
    "224.0.0.1",
    "255.255.255.255",
]
PUBLIC_ADDRESSES = [
    PUBLIC,
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700:4700::1111",
    "2001:4860:4860::8888",
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    "2002:808:808::1",  # 6to4 of 8.8.8.8
    "::ffff:8.8.8.8",
]


def literal(address: str) -> str:
    return f"[{address}]" if ":" in address else address


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_an_address_that_reaches_a_private_host_is_not_public(address: str) -> None:
    assert not outbound.address_is_public(ip_address(address))


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_a_public_internet_address_is_public(address: str) -> None:
    assert outbound.address_is_public(ip_address(address))


@pytest.mark.parametrize("address", NOT_PUBLIC[:6])
def test_registering_an_endpoint_at_such_an_address_is_refused(
    db: None, settings, address: str
) -> None:
    settings.WEBHOOK_ALLOW_INSECURE = False
    _, api = api_for(Client())
    response = api.post(
        "/api/v1/webhook-endpoints/",
        {"url": f"https://{literal(address)}/hooks", "events": ["order.paid"]},
    )
    assert response.status_code == 422, response.content
    assert json.loads(response.content)["errors"]["url"] == [
        "The host must be on the public internet."
    ]


@pytest.mark.parametrize("address", [PUBLIC, "2606:4700:4700::1111", "64:ff9b::808:808"])
def test_registering_an_endpoint_at_a_public_address_is_accepted(
    db: None, settings, address: str
) -> None:
    settings.WEBHOOK_ALLOW_INSECURE = False
    _, api = api_for(Client())
    url = f"https://{literal(address)}/hooks"
    response = api.post("/api/v1/webhook-endpoints/", {"url": url, "events": ["order.paid"]})
    assert response.status_code == 201, response.content


def test_an_out_of_range_port_is_refused_with_a_reason(db: None) -> None:
    with pytest.raises(outbound.WebhookUrlError, match="port"):
        outbound.url_parts("https://hooks.example.com:99999/in", insecure=False)


# --- Resolving once -----------------------------------------------------------------------


class Resolver:
    """Answers HOST with the next list of addresses (the last one repeated); other names
    go to the real resolver."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.calls = 0
        real = socket.getaddrinfo

        def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list:
            if host != HOST:
                return real(host, port, *args, **kwargs)
            self.calls += 1
            addresses = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
            return [
                (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port, 0, 0))
                if ":" in a
                else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in addresses
            ]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def api(db: None, settings, no_publish: list) -> Api:
    """A brand with a balance; endpoints registered while WEBHOOK_ALLOW_INSECURE is on."""
    settings.WEBHOOK_ALLOW_INSECURE = True
    return api_for(Client(), balance="100.00")[1]


def pending_to(api: Api, url: str) -> WebhookDelivery:
    hook(api, url)
    cancelled_gift(api)
    return WebhookDelivery.objects.get()


def test_a_name_resolving_to_a_public_and_a_private_address_is_refused(
    db: None, settings, monkeypatch
) -> None:
    settings.WEBHOOK_ALLOW_INSECURE = False
    Resolver(monkeypatch, [PUBLIC, "127.0.0.1"])
    with pytest.raises(outbound.WebhookUrlError, match="public internet"):
        outbound.resolve(f"https://{HOST}/in", insecure=False)


def test_a_delivery_goes_to_the_address_it_checked_not_to_what_the_name_says_next(
    api: Api, settings, monkeypatch, receiver: Receiver
) -> None:
    """Rebinding: public to the check, 127.0.0.1 afterwards. The one look-up is the
    public address, and that is the only address dialled."""
    pending = pending_to(api, f"https://{HOST}/in")
    settings.WEBHOOK_ALLOW_INSECURE = False
    resolver = Resolver(monkeypatch, [PUBLIC], ["127.0.0.1"])
    dialled = []

    def connect(family: int, sockaddr: tuple, timeout: float) -> socket.socket:
        dialled.append(sockaddr)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(outbound, "connect", connect)

    assert delivery.deliver(pending.pk) == S.PENDING

    assert resolver.calls == 1
    assert dialled == [(PUBLIC, 443)]
    assert WebhookDelivery.objects.get().error == f"{PUBLIC}: [Errno 111] Connection refused"

    WebhookDelivery.objects.update(next_attempt_at=pending.next_attempt_at)
    assert delivery.deliver(pending.pk) == S.PENDING  # the name now says 127.0.0.1

    assert resolver.calls == 2
    assert dialled == [(PUBLIC, 443)]
    assert WebhookDelivery.objects.get().error == "The host must be on the public internet."
    assert receiver.count() == 0


def test_the_connection_is_made_to_the_resolved_address_with_the_name_as_host(
    api: Api, monkeypatch, receiver: Receiver
) -> None:
    """Over real sockets (loopback allowed by WEBHOOK_ALLOW_INSECURE): the name first
    resolves to the receiver, then to an address where nothing listens."""
    port = receiver.server.server_address[1]
    pending = pending_to(api, f"http://{HOST}:{port}/hooks?from=shop")
    resolver = Resolver(monkeypatch, ["127.0.0.1"], ["127.0.0.2"])

    assert delivery.deliver(pending.pk) == S.SUCCEEDED

    assert resolver.calls == 1
    [received] = receiver.received()
    assert received.path == "/hooks?from=shop"
    assert received.headers["host"] == f"{HOST}:{port}"
    assert received.headers["x-signature"].startswith("t=")


def test_the_next_checked_address_is_tried_when_one_refuses(
    api: Api, monkeypatch, receiver: Receiver
) -> None:
    port = receiver.server.server_address[1]
    pending = pending_to(api, f"http://{HOST}:{port}/hooks")
    with socket.socket() as probe:  # a loopback address with nothing listening on `port`
        probe.bind(("127.0.0.3", port))
    Resolver(monkeypatch, ["127.0.0.3", "127.0.0.1"])

    assert delivery.deliver(pending.pk) == S.SUCCEEDED
    assert receiver.count() == 1


# --- TLS to a pinned address --------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for HOST (made with the openssl command)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("The TLS tests need the openssl command (apt-get install openssl).")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={HOST}",
            "-addext",
            f"subjectAltName=DNS:{HOST}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_receiver(certificate: tuple[Path, Path]) -> Iterator[dict]:
    """An HTTPS server on 127.0.0.1 for HOST, recording the SNI name and the request."""
    seen: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.update(path=self.path, host=self.headers["Host"])
            self.send_response(202)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    context.sni_callback = lambda sock, name, ctx: seen.update(sni=name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    seen["port"] = server.server_address[1]
    yield seen
    server.shutdown()
    server.server_close()


def pinned(host: str, port: int) -> outbound.Target:
    return outbound.Target("https", host, port, "/in", ((socket.AF_INET, ("127.0.0.1", port)),))


def test_https_to_a_pinned_address_sends_the_name_as_sni_and_host(
    tls_receiver: dict, certificate: tuple[Path, Path]
) -> None:
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    status, text = outbound.post(
        pinned(HOST, tls_receiver["port"]), b"{}", {}, timeout=5, keep_bytes=100, tls=trust
    )
    assert (status, text) == (202, "ok")
    assert tls_receiver["sni"] == HOST
    assert tls_receiver["host"] == f"{HOST}:{tls_receiver['port']}"


def test_https_to_a_pinned_address_checks_the_certificate_against_the_name(
    tls_receiver: dict, certificate: tuple[Path, Path]
) -> None:
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    with pytest.raises(ssl.SSLCertVerificationError, match=r"other\.example\.test"):
        outbound.post(
            pinned("other.example.test", tls_receiver["port"]),
            b"{}",
            {},
            timeout=5,
            keep_bytes=100,
            tls=trust,
        )


def test_https_trusts_the_system_store_by_default_so_a_self_signed_receiver_fails(
    tls_receiver: dict,
) -> None:
    with pytest.raises(ssl.SSLCertVerificationError, match=r"self.signed"):
        outbound.post(pinned(HOST, tls_receiver["port"]), b"{}", {}, timeout=5, keep_bytes=100)
