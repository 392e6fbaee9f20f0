from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle


class ApiKeyRateThrottle(SimpleRateThrottle):
    """`API_RATE_LIMIT` requests per key, counted in the cache so that every web process
    shares the count. The public schema and docs count per client address; elsewhere a
    request without a valid key is refused before it is counted.

    A fixed window (the minute, hour… by the clock) with one counter, raised by the cache's
    atomic `add` and `incr` (Redis `SET NX` and `INCR`): concurrent requests on one key
    can never all read the same count, so at most the limit get through in a window.
    (DRF's own throttle reads a list of timestamps and writes it back, and loses counts
    under concurrency.) Requests refused still count; the window's end resets it.
    """

    scope = "api_key"

    def get_rate(self) -> str:
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request: HttpRequest, view: object) -> str:
        ident = f"key:{request.auth.pk}" if request.auth is not None else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: HttpRequest, view: object) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        return self._count(f"{key}:{window}") <= self.num_requests

    def _count(self, key: str) -> int:
        """This request's number in its window. The counter outlives its window, so `incr`
        never meets it expired; if the cache evicted it meanwhile, counting starts again."""
        timeout = 2 * self.duration
        if self.cache.add(key, 1, timeout):
            return 1
        try:
            return self.cache.incr(key)
        except ValueError:  # evicted between add and incr
            self.cache.add(key, 1, timeout)
            return 1

    def wait(self) -> float:
        """Seconds until the window ends (`Retry-After`)."""
        return self.window_ends - self.now
