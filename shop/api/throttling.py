from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle


class ApiKeyRateThrottle(SimpleRateThrottle):
    """`API_RATE_LIMIT` requests per key, counted in the cache so that every web process
    shares the count. The public schema and docs count per client address; elsewhere a
    request without a valid key is refused before it is counted."""

    scope = "api_key"

    def get_rate(self) -> str:
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request: HttpRequest, view: object) -> str:
        ident = f"key:{request.auth.pk}" if request.auth is not None else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
