import logging
from collections.abc import Callable
from contextlib import ExitStack

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .db_router import REPLICA, read_primary, replica_health

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5
# Where shop/urls.py mounts the admin (and the dashboard beside it).
ADMIN_PREFIX = "/admin/"
# htmx (bundled with the theme) adds one fixed <style> for its loading indicators: allowed by
# its hash, so an upgrade that changes it shows up in tests/browser/test_admin_theme.py. Nothing
# else is loosened: no 'unsafe-eval', no inline style attributes (AdminThemeCSPMiddleware).
HTMX_INDICATOR_STYLE = "'sha256-bsV5JivYxvGywDAZ22EZJKBFip65Ng9xoJVLbBg7bdo='"
ADMIN_CSP_UPDATE = {"style-src": [HTMX_INDICATOR_STYLE]}


class QueryCountMiddleware:
    """`X-Query-Count`: SQL statements the request ran, on every database.

    Switched on by QUERY_COUNT_HEADER for `make bench`, which reports queries per request
    measured on the real server rather than guessed from a test.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = 0

        def counted(execute: Callable, sql: str, params: object, many: bool, context: dict):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with ExitStack() as stack:
            for connection in connections.all():
                stack.enter_context(connection.execute_wrapper(counted))
            response = self.get_response(request)
        response["X-Query-Count"] = str(count)
        return response


class DatabaseUnavailableMiddleware:
    """A lost database connection answers 503 with Retry-After rather than 500.

    A database restart or failover is brief and the request is safe to repeat (writes are
    transactions: nothing was half done), so clients and the load balancer are told to
    retry instead of being shown an error. /readyz reports the same outage.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable: %s", exception)
        response = HttpResponse(
            _("The shop is briefly unavailable. Please try again in a moment."),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


class ReplicaFallbackMiddleware:
    """A GET whose replica connection dropped mid-query is answered again from the primary.

    The router skips a replica it cannot connect to, but a connection that breaks while a
    query runs (the replica stopped, a failover) raises in the view. A safe request wrote
    nothing, so it runs once more in `read_primary()`, and the replica is marked down so the
    next requests skip it for REPLICA_RETRY_SECONDS, instead of the shopper seeing a 503.
    """

    SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in self.SAFE_METHODS or REPLICA not in settings.DATABASES:
            return self.get_response(request)
        response = self.get_response(request)
        # Django flags a connection on any database error raised through it, including a
        # cursor opened on a dropped connection (which no execute wrapper would see); the
        # flag is cleared when the request finishes, after this middleware.
        if not connections[REPLICA].errors_occurred:
            return response
        logger.warning(
            "replica failed during %s %s; answered from the primary", request.method, request.path
        )
        replica_health.mark_down()
        connections[REPLICA].close()
        with read_primary():
            return self.get_response(request)


class ReadYourWritesMiddleware:
    """A shopper who just wrote (cart, address, a gift) reads the primary for a while.

    Any unsafe request sets a short `read_primary` cookie (REPLICA_STICKY_SECONDS); a
    request carrying it runs in `db_router.read_primary()`, so a replica's lag never hides
    the shopper's own change. Without a replica the router ignores it. A request with an
    `Authorization` header (the partner API's keys) gets none: an API client keeps no
    cookies, and its writes are answered from the primary in the same request.
    """

    COOKIE = "read_primary"
    SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.COOKIE in request.COOKIES:
            with read_primary():
                response = self.get_response(request)
        else:
            response = self.get_response(request)
        if (
            request.method not in self.SAFE_METHODS
            and "HTTP_AUTHORIZATION" not in request.META
            and settings.REPLICA_STICKY_SECONDS > 0
        ):
            response.set_cookie(
                self.COOKIE,
                "1",
                max_age=settings.REPLICA_STICKY_SECONDS,
                secure=request.is_secure(),
                httponly=True,
                samesite="Lax",
            )
        return response


class AdminThemeCSPMiddleware:
    """Allows, on the admin's pages only, the one fixed <style> the theme's htmx adds.

    django-unfold drives its menus, dark mode and inlines with Alpine.js. Its own build runs
    `x-data` / `x-on` with `new Function`, which would need 'unsafe-eval'; the admin loads
    Alpine's CSP build instead (templates/unfold/layouts/skeleton.html), whose expressions
    are parsed, with the few unfold wrote as statements moved into components
    (shop/core/static/shop/admin-alpine.js). The templates that wrote a `style="..."` attribute
    bind a style object instead, which Alpine sets through CSSOM (as it does for `x-show`),
    so style-src-attr needs no 'unsafe-inline' either. Listed after CSPMiddleware, which
    builds the header with this update; the storefront's policy is unchanged.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(ADMIN_PREFIX):
            response._csp_update = ADMIN_CSP_UPDATE  # type: ignore[attr-defined]
        return response
