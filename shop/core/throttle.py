"""A fixed-window counter in the cache, for throttling what fails (wrong tokens, logins).

Only failures are counted, so a person opening their own link is never slowed down, while
a client trying token after token is refused after `limit` misses per `window` seconds.
With Redis as the cache the count is shared by every web process.
"""

from django.core.cache import cache


def _key(scope: str, client: str) -> str:
    return f"throttle:{scope}:{client}"


def is_blocked(scope: str, client: str, *, limit: int) -> bool:
    return (cache.get(_key(scope, client)) or 0) >= limit


def record_miss(scope: str, client: str, *, window: int) -> int:
    key = _key(scope, client)
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return 1
