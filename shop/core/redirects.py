"""Where to go after a form: the page the browser asked for (`next`), if it is on this site.

Every view that honours a `next` goes through `redirect_to_next`, so none can be made into an
open redirect (`?next=https://evil.example/`, `//evil.example/`, `/\\evil.example`): Django's
`url_has_allowed_host_and_scheme` allows only this host, and only https from an https page.
"""

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def redirect_to_next(
    request: HttpRequest, target: str | None, fallback: str
) -> HttpResponseRedirect:
    """To `target` when it is safe, else to `fallback` (a URL name or path)."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return redirect(fallback)
