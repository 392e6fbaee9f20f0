"""Which claims this browser made: how a recipient without an account finds their gift again.

An account's claims are found through the account. A visitor's are remembered in a signed
cookie of claim ids, not in a database session: a claim then writes no session row, and
the page it redirects to reads none. The cookie holds ids only, and only this site's key
can sign one; the ids are checked against the gift's own claims on every read.
"""

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

from . import selectors
from .models import Gift, GiftClaim

COOKIE = "gift_claims"
_SALT = "gifting.visitors"
# The newest gifts a browser remembers; a cookie must stay far below 4 KB.
_GIFTS_KEPT = 20


def claims_of_this_visitor(request: HttpRequest, gift: Gift) -> list[GiftClaim]:
    """The claims this browser (its cookie) or account made on the gift."""
    ids = _remembered(request).get(str(gift.pk), [])
    claims = selectors.claims_by_ids(gift=gift, ids=ids) if ids else []
    if not claims and request.user.is_authenticated:
        claims = list(gift.claims.filter(user=request.user).select_related("order", "sku"))
    return claims


def remember_claim(request: HttpRequest, response: HttpResponse, claim: GiftClaim) -> HttpResponse:
    """Let this browser find `claim` again; an account finds its claims without this."""
    if request.user.is_authenticated:
        return response
    seen = _remembered(request)
    ids = seen.pop(str(claim.gift_id), [])
    seen[str(claim.gift_id)] = [*ids, claim.pk]  # last: the newest gift
    kept = dict(list(seen.items())[-_GIFTS_KEPT:])
    response.set_cookie(
        COOKIE,
        signing.dumps(kept, salt=_SALT, compress=True),
        max_age=settings.SESSION_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def _remembered(request: HttpRequest) -> dict[str, list[int]]:
    """The cookie's gift ids and claim ids; nothing when it is missing, old or tampered with."""
    value = request.COOKIES.get(COOKIE)
    if not value:
        return {}
    try:
        seen = signing.loads(value, salt=_SALT, max_age=settings.SESSION_COOKIE_AGE)
    except signing.BadSignature:
        return {}
    if not isinstance(seen, dict):
        return {}
    return {
        gift: [pk for pk in ids if isinstance(pk, int)]
        for gift, ids in seen.items()
        if isinstance(ids, list)
    }
