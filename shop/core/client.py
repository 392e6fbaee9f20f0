"""Who the client is: the one place that decides which address and scheme to believe.

Behind a load balancer every request's socket peer (`REMOTE_ADDR`) is the balancer, so
anything counted per address (wrong gift links, failed logins) would count every visitor
together. The balancer appends the address it saw to `X-Forwarded-For`, but a client can
send that header too, with anything in it. So the header is believed only as far as
`TRUSTED_PROXIES` (IPs or networks, from the environment) vouch for it: read from the
right, each entry was written by the hop to its right; while that hop is a trusted proxy
the entry is believed, and the first entry that is not a trusted proxy is the client.
With no trusted proxies (the default) the socket address is the client.

`X-Forwarded-Proto` is the same kind of claim: `TrustedProxyMiddleware` drops it unless the
socket peer is a trusted proxy, so a client cannot make a plain-HTTP request look secure.
"""

import ipaddress
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


@lru_cache(maxsize=8)
def _trusted(values: tuple[str, ...]) -> tuple[Network, ...]:
    """`TRUSTED_PROXIES` as networks (a bare address is a network of one); settings.py has
    already refused a malformed entry at start-up."""
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values if value)


def _parse(value: str) -> Address | None:
    """An address as a hop wrote it: `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]:5678`."""
    value = value.strip()
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address | None) -> bool:
    if address is None:
        return False
    return any(address in network for network in _trusted(tuple(settings.TRUSTED_PROXIES)))


def peer_is_trusted_proxy(request: HttpRequest) -> bool:
    return _is_trusted(_parse(request.META.get("REMOTE_ADDR", "")))


def client_address(request: HttpRequest) -> str:
    """The client's IP address, as a canonical string (`unknown` if there is none)."""
    peer = _parse(request.META.get("REMOTE_ADDR", ""))
    if peer is None:
        return UNKNOWN
    client = peer
    if _is_trusted(peer):
        hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        for entry in reversed(hops):
            address = _parse(entry)
            if address is None:  # garbage from a hop we trust: stop at the last one we do
                break
            client = address
            if not _is_trusted(address):
                break
    return str(client)


class TrustedProxyMiddleware:
    """Drops `X-Forwarded-Proto` from any peer that is not a trusted proxy.

    Django believes that header for `request.is_secure()` (SECURE_PROXY_SSL_HEADER); without
    it the scheme is the server's own (gunicorn sets it from its FORWARDED_ALLOW_IPS).
    First in MIDDLEWARE, before anything asks whether the request is secure.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not peer_is_trusted_proxy(request):
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
        return self.get_response(request)
