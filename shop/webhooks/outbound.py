"""Outgoing webhook requests: which addresses a partner's URL may reach, and reaching
exactly the address that was checked.

A host name is resolved once per attempt, every address it resolves to must be public,
and the request is then sent to one of those very addresses, while the Host header and
the TLS certificate check still use the name. Resolving again to connect would let a
name that answers a public address to the check and 127.0.0.1 to the connection (DNS
rebinding) reach the shop's own network.

"Public" is decided here rather than by `ipaddress`'s `is_global` alone, which in Python
3.11 passes addresses that reach private hosts: NAT64 (`64:ff9b::7f00:1` is 127.0.0.1),
6to4 (`2002:7f00:1::`), IPv4-compatible (`::127.0.0.1`), site-local `fec0::/10` and the
IANA special-purpose `192.0.0.0/24`.
"""

import http.client
import socket
import ssl
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from urllib.parse import SplitResult, urlsplit

from shop.core.errors import DomainError

# IPv4 blocks a webhook never goes to (IANA special-purpose registry, multicast, reserved).
REFUSED_IPV4 = tuple(
    ip_network(block)
    for block in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments (DS-Lite, 192.0.0.8 dummy, NAT64 discovery)
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # the retired 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
    )
)
# Global unicast IPv6 is allocated from 2000::/3 only; everything else (loopback,
# IPv4-compatible ::/96, local-use NAT64 64:ff9b:1::/48, discard, SRv6, unique-local,
# link-local, site-local fec0::/10, multicast) is refused, as are these blocks inside it.
IPV6_GLOBAL_UNICAST = ip_network("2000::/3")
REFUSED_IPV6 = tuple(
    ip_network(block)
    for block in (
        "2001::/23",  # IETF protocol assignments, Teredo among them
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
    )
)
NAT64_WELL_KNOWN = ip_network("64:ff9b::/96")  # the last 32 bits are the IPv4 address


class WebhookUrlError(DomainError, ValueError):
    """A webhook URL that may not be called; the message is for the partner."""

    code = "webhook-url-refused"
    status = 422
    field = "url"


def embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 address reaches: IPv4-mapped, NAT64, 6to4."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64_WELL_KNOWN:
        return IPv4Address(int(address) & 0xFFFF_FFFF)
    return address.sixtofour


def address_is_public(address: IPv4Address | IPv6Address) -> bool:
    """Whether a webhook may connect to `address`: a host on the public internet."""
    if isinstance(address, IPv6Address):
        embedded = embedded_ipv4(address)
        if embedded is not None:
            return address_is_public(embedded)
        return (
            address in IPV6_GLOBAL_UNICAST
            and address.is_global
            and not any(address in block for block in REFUSED_IPV6)
        )
    return address.is_global and not any(address in block for block in REFUSED_IPV4)


@dataclass(frozen=True)
class Target:
    """A webhook URL resolved once: the name for Host and TLS, the addresses to connect to."""

    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent on the request line
    addresses: tuple[tuple[int, tuple], ...]  # (address family, socket address), all checked


def url_parts(url: str, *, insecure: bool) -> tuple[SplitResult, int]:
    """The URL's parts and port if its form is acceptable: https (or http when
    `insecure`), a host, a valid port."""
    parts = urlsplit(url)
    schemes = ("http", "https") if insecure else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise WebhookUrlError("Use an http(s) URL." if insecure else "Use an https URL.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise WebhookUrlError("The port is not a number from 1 to 65535.") from error
    return parts, port


def resolve(url: str, *, insecure: bool) -> Target:
    """Resolve the URL's host once; every address must be public unless `insecure`
    (development: http and loopback allowed)."""
    parts, port = url_parts(url, insecure=insecure)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise WebhookUrlError("The host name does not resolve.") from error
    addresses = tuple(dict.fromkeys((family, sockaddr) for family, _, _, _, sockaddr in infos))
    if not addresses:
        raise WebhookUrlError("The host name does not resolve.")
    if not insecure:
        for _, sockaddr in addresses:
            if not address_is_public(ip_address(sockaddr[0])):
                raise WebhookUrlError("The host must be on the public internet.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path, addresses)


def connect(family: int, sockaddr: tuple, timeout: float) -> socket.socket:
    """A TCP connection to one resolved address (no name look-up happens here)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


class PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to the target's checked addresses (tried in turn), with the
    host name in the Host header, as the TLS server name and in the certificate check."""

    def __init__(self, target: Target, *, timeout: float, tls: ssl.SSLContext | None) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.default_port = 443 if target.scheme == "https" else 80  # Host without :443
        self._target = target
        self._tls = (tls or ssl.create_default_context()) if target.scheme == "https" else None

    def connect(self) -> None:
        failure: OSError | None = None
        for family, sockaddr in self._target.addresses:
            try:
                sock = connect(family, sockaddr, self.timeout)
            except OSError as error:
                failure = OSError(f"{sockaddr[0]}: {error}")
                continue
            try:
                if self._tls is not None:
                    sock = self._tls.wrap_socket(sock, server_hostname=self.host)
            except BaseException:
                sock.close()
                raise
            self.sock = sock
            return
        raise failure or OSError("No address to connect to.")


def post(
    target: Target,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    keep_bytes: int,
    tls: ssl.SSLContext | None = None,
) -> tuple[int, str]:
    """POST `body` once and return the status and the start of the response. Redirects
    are answers like any other (never followed: they could point anywhere). `tls` is
    the system's trust store unless given."""
    connection = PinnedConnection(target, timeout=timeout, tls=tls)
    try:
        connection.request(
            "POST", target.path, body=body, headers={**headers, "Connection": "close"}
        )
        response = connection.getresponse()
        return response.status, response.read(keep_bytes).decode(errors="replace")
    finally:
        connection.close()
