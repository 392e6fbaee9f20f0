"""The admin's header for whoever is looking: the merchant's own shop, or the platform's."""

from django.http import HttpRequest
from django.utils.translation import gettext

from .models import Merchant
from .selectors import merchant_for_user


def request_merchant(request: HttpRequest) -> Merchant | None:
    """The merchant of the signed-in staff user, looked up once per request."""
    if not hasattr(request, "_admin_merchant"):
        request._admin_merchant = merchant_for_user(request.user)  # type: ignore[attr-defined]
    return request._admin_merchant  # type: ignore[attr-defined]


def site_header(request: HttpRequest) -> str:
    merchant = request_merchant(request)
    if merchant is None:
        return gettext("Gift Shop")
    return merchant.display_name


def site_title(request: HttpRequest) -> str:
    return gettext("Gift Shop back office")


def site_icon(request: HttpRequest) -> str | None:
    """The merchant's logo beside its name; the platform's symbol when there is none."""
    merchant = request_merchant(request)
    return merchant.logo.url if merchant is not None and merchant.logo else None
