from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from django.views import defaults
from django.views.static import serve

from merchants import views as merchant_views
from shop.accounts import views as account_views
from shop.api import problems
from shop.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("admin/dashboard/", merchant_views.dashboard, name="merchant_dashboard"),
    path("admin/back-office/", include("merchants.backoffice.urls")),
    path("admin/", admin.site.urls),
    # Before Django's own: the switch also sets a signed-in shopper's email language.
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("shop.api.urls")),
    path("", include("shop.privacy.urls")),
    path("account/", include("shop.accounts.urls")),
    path("merchants/", include("merchants.urls")),
    path("cart/", include("shop.cart.urls")),
    path("orders/", include("shop.orders.urls")),
    path("payments/", include("shop.payments.urls")),
    path("sandbox/", include("shop.sandbox.urls")),
    path("", include("shop.discovery.urls")),
    path("", include("gifting.urls")),
    path("", include("shop.catalogue.urls")),
]

if settings.SERVE_MEDIA:
    # Uploaded files are served by Django only for local use; production uses object storage.
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    """API clients get problem+json for unknown URLs; shoppers get the 404 page."""
    if request.path.startswith("/api/"):
        return problems.not_found(request, exception)
    return defaults.page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return problems.server_error(request)
    return defaults.server_error(request)
