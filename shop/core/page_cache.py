"""Anonymous storefront pages from the cache, for the crowd a gift campaign sends.

A page is rendered at most about once per PAGE_CACHE_SECONDS (default 1) per language and
URL, however many visitors ask for it. Why a one-second micro-cache and not invalidation:
stock and prices change through conditional UPDATEs (checkout, gifts, the expiry sweep,
the admin) that send no signals, so invalidating on every write path would be one easy
thing to forget; a short lifetime bounds staleness for all of them by construction.

What stays per visitor:
- the CSRF token: the cached page holds a placeholder; each response gets the visitor's
  own token (and cookie), as `{% csrf_token %}` would have given;
- the language: part of the key (LocaleMiddleware has already chosen it);
- anyone with a session (logged in, a cart, pending messages) or a messages cookie gets
  a fresh render, so their header, messages and cart are theirs.

No stampede: from half its lifetime on, a page is re-rendered by the one request
that takes a short lock, while the others are still served the cached copy, so a slow
page (the listing over 10,000 products) is never rendered by every worker thread at
once. The copy's age counts from when its render began (when its data was read): with
a render under half a second, a change shows within PAGE_CACHE_SECONDS.
Only under overload, when the re-render itself takes longer, is the old copy served
until it finishes, and never past twice the lifetime.

Takedowns that must not wait even a second (a suspended shop, a delisted product) call
`invalidate_all()`, which moves every cached page to a new generation.

A cache that fails is logged and skipped: the page is rendered as if there were none.
"""

import hashlib
import logging
import pickle
import re
import time
import uuid
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

_CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
_PLACEHOLDER = "@@csrf-token@@"
_MESSAGES_COOKIE = "messages"
_GENERATION = "page:generation"
T = TypeVar("T")


def invalidate_all() -> None:
    """Every cached page is stale from now on (a new generation; old entries expire)."""
    try:
        cache.set(_GENERATION, uuid.uuid4().hex, timeout=None)
    except Exception:
        logger.warning("page cache unavailable", exc_info=True)


def generational(
    key: str, compute: Callable[[], T], seconds: int, *, keep_in_process: bool = False
) -> T:
    """`compute()`, kept `seconds` in the cache and dropped with the pages by
    `invalidate_all()` (a takedown): for values a page reads that may lag a little, such as
    a listing's product count. One cache round trip; a failing cache computes.

    `keep_in_process`: for a value every page reads (the category tree, the charts), whose
    unpickling cost more than the rest of the lookup. The cache then holds it pickled inside
    its entry, under a stamp, and each process keeps the copy it last unpickled, reusing it
    while the entry's stamp (and generation) are the same: the same value, unpickled once.
    The caller must not change what it gets. The key space must be small (one copy a key).
    """
    if keep_in_process:
        key += _KEPT
    try:
        found = cache.get_many([_GENERATION, key])
    except Exception:
        logger.warning("page cache unavailable", exc_info=True)
        return compute()
    generation, hit = found.get(_GENERATION), found.get(key)
    if keep_in_process:
        return _kept_in_process(key, compute, seconds, generation, hit)
    if hit is not None and hit[0] == generation:
        return hit[1]
    value = compute()
    _store(key, (generation, value), seconds)
    return value


def forget(key: str) -> None:
    """The next `generational(key, …)` computes anew, in every process."""
    try:
        cache.delete_many([key, key + _KEPT])
    except Exception:
        logger.warning("page cache unavailable", exc_info=True)


_KEPT = ":kept"  # the suffix of a kept entry's key: its shape differs from a plain one's
_in_process: dict[str, tuple[object, str, object]] = {}


def _kept_in_process(
    key: str, compute: Callable[[], T], seconds: int, generation: object, hit: object
) -> T:
    if hit is not None and hit[0] == generation:
        _, stamp, payload = hit
        kept = _in_process.get(key)
        if kept is not None and kept[:2] == (generation, stamp):
            return kept[2]  # type: ignore[return-value]
        value = pickle.loads(payload)
    else:
        value = compute()
        stamp = uuid.uuid4().hex
        _store(key, (generation, stamp, pickle.dumps(value, pickle.HIGHEST_PROTOCOL)), seconds)
    _in_process[key] = (generation, stamp, value)
    return value


def _store(key: str, entry: tuple, seconds: int) -> None:
    try:
        cache.set(key, entry, seconds)
    except Exception:
        logger.warning("page cache unavailable", exc_info=True)


def _cacheable(request: HttpRequest) -> bool:
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and _MESSAGES_COOKIE not in request.COOKIES
    )


def _key(request: HttpRequest) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return f"page:{get_language()}:{path}"


def _fresh_enough(key: str, stored_at: float) -> bool:
    """Serve the cached copy? Yes while young; later, only while another request is
    rendering it anew (this one renders if it wins the refresh lock)."""
    age = time.time() - stored_at
    lifetime = settings.PAGE_CACHE_SECONDS
    if age < lifetime / 2:
        return True
    if age >= 2 * lifetime:
        return False
    return not cache.add(f"{key}:refreshing", 1, timeout=lifetime)


def anonymous_page_cache(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def cached_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        key = _key(request)
        try:
            found = cache.get_many([_GENERATION, key])
            generation, hit = found.get(_GENERATION), found.get(key)
            if hit is not None and hit[0] == generation and _fresh_enough(key, hit[1]):
                _, _, content_type, body = hit
                token = get_token(request)
                return HttpResponse(body.replace(_PLACEHOLDER, token), content_type)
        except Exception:
            logger.warning("page cache unavailable", exc_info=True)
            return view(request, *args, **kwargs)
        stored_at = time.time()
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming:
            if hasattr(response, "render"):
                response.render()
            body = _CSRF_INPUT.sub(rf"\g<1>{_PLACEHOLDER}\g<2>", response.content.decode())
            entry = (generation, stored_at, response["Content-Type"], body)
            try:
                cache.set(key, entry, 2 * settings.PAGE_CACHE_SECONDS + 1)
                cache.delete(f"{key}:refreshing")
            except Exception:
                logger.warning("page cache unavailable", exc_info=True)
        return response

    return cached_view
