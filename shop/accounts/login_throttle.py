"""Login throttling, for the shop's login page and the admin's.

What is counted decides who can be locked out, so failures are counted per client address
(shop/core/client.py, behind the load balancer too) and never per account alone:

- per (account, address): LOGIN_FAILURE_LIMIT failures for one email from one address in
  LOGIN_FAILURE_WINDOW_SECONDS, and that address may not try that account again until the
  window ends, not even with the right password (a blocked guesser learns nothing);
- per address: LOGIN_ADDRESS_FAILURE_LIMIT failures over all accounts, against one
  machine trying a few passwords on many accounts. It is higher, because many shoppers
  share an address behind a carrier's NAT or an office's proxy.

A count per account alone would let anyone lock a shopper out by typing wrong passwords
for their email; this way the shopper, from any address that is not throttled, logs in
with the right password. The price: a guesser with many addresses gets
LOGIN_FAILURE_LIMIT tries at one account from each (passwords must pass Django's
validators and are hashed with Argon2, so that buys little). Successful logins are never
counted. Reaching a limit is logged, with the address.
"""

import hashlib
import logging
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from shop.core import throttle
from shop.core.client import client_address

SCOPE = "login"
logger = logging.getLogger(__name__)


def _counters(request: HttpRequest) -> list[tuple[str, int]]:
    """(counter key, its limit) for this attempt."""
    address = client_address(request)
    counters = [(f"ip:{address}", settings.LOGIN_ADDRESS_FAILURE_LIMIT)]
    email = (request.POST.get("username") or "").strip().lower()
    if email:
        account = hashlib.sha256(email.encode()).hexdigest()[:32]
        counters.append((f"user:{account}:ip:{address}", settings.LOGIN_FAILURE_LIMIT))
    return counters


def login_throttled(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A login view that refuses clients past the limit and counts failed POSTs.

    A failed login re-shows the form (200); a successful one redirects.
    """

    @wraps(view)
    def throttled(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        counters = _counters(request)
        if any(throttle.is_blocked(SCOPE, key, limit=limit) for key, limit in counters):
            reason = _(
                "Too many failed logins from here or for this account. "
                "Please try again in a quarter of an hour."
            )
            response = render(request, "throttled.html", {"reason": reason}, status=429)
            response["Retry-After"] = str(settings.LOGIN_FAILURE_WINDOW_SECONDS)
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            for key, limit in counters:
                misses = throttle.record_miss(
                    SCOPE, key, window=settings.LOGIN_FAILURE_WINDOW_SECONDS
                )
                if misses == limit:
                    logger.warning("%d failed logins (%s): throttled", misses, key)
        return response

    return throttled
