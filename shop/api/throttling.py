from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle


class ApiKeyRateThrottle(SimpleRateThrottle):
    """`API_RATE_LIMIT` requests per key (per client address without one), shared by every
    web process through the cache."""

    scope = "api_key"

    def get_rate(self) -> str:
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request: HttpRequest, view: object) -> str:
        ident = f"key:{request.auth.pk}" if request.auth is not None else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
