"""Login throttling, for the shop's login page and the admin's.

Failed attempts are counted (shop/core/throttle.py) per client address and per email, so
neither one machine trying many passwords nor many machines trying one account get far:
past LOGIN_FAILURE_LIMIT failures in LOGIN_FAILURE_WINDOW_SECONDS, the login form
answers 429 until the window ends. Successful logins are never slowed down.
"""

import hashlib
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from shop.core import throttle

SCOPE = "login"


def _clients(request: HttpRequest) -> list[str]:
    email = (request.POST.get("username") or "").strip().lower()
    keys = [f"ip:{request.META.get('REMOTE_ADDR', 'unknown')}"]
    if email:
        keys.append(f"user:{hashlib.sha256(email.encode()).hexdigest()[:32]}")
    return keys


def login_throttled(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A login view that refuses clients past the limit and counts failed POSTs.

    A failed login re-shows the form (200); a successful one redirects.
    """

    @wraps(view)
    def throttled(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        clients = _clients(request)
        limit = settings.LOGIN_FAILURE_LIMIT
        if any(throttle.is_blocked(SCOPE, client, limit=limit) for client in clients):
            reason = _(
                "Too many failed logins from here or for this account. "
                "Please try again in a quarter of an hour."
            )
            response = render(request, "throttled.html", {"reason": reason}, status=429)
            response["Retry-After"] = str(settings.LOGIN_FAILURE_WINDOW_SECONDS)
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            for client in clients:
                throttle.record_miss(SCOPE, client, window=settings.LOGIN_FAILURE_WINDOW_SECONDS)
        return response

    return throttled
