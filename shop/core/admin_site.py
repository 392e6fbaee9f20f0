"""The admin site: throttled login, and a second factor for operators who enrolled one.

The second factor is optional per person: staff with a confirmed TOTP device (django-otp,
enrolled under *TOTP devices*) must enter its code at login, and a session that signed
in without it (e.g. through the shop's login page) is sent back to the admin login.
"""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django_otp import user_has_device
from django_otp.admin import OTPAdminAuthenticationForm
from unfold.sites import UnfoldAdminSite

from shop.accounts.login_throttle import login_throttled


class OperatorLoginForm(OTPAdminAuthenticationForm):
    """Asks for the code only of those who have a confirmed device."""

    def clean(self) -> dict:
        self.cleaned_data = AdminAuthenticationForm.clean(self)
        user = self.get_user()
        if user is not None and user_has_device(user, confirmed=True):
            self.clean_otp(user)
        return self.cleaned_data


class OperatorAdminSite(UnfoldAdminSite):
    login_form = OperatorLoginForm
    login_template = "otp/admin111/login.html"

    def each_context(self, request: HttpRequest) -> dict:
        context = super().each_context(request)
        # The theme's colours come from a static stylesheet (UNFOLD["STYLES"]): unfold prints
        # them as an inline <style> only when this is set, and the CSP forbids inline styles.
        context["colors"] = {}
        return context

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        return request.user.is_verified() or not user_has_device(request.user, confirmed=True)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        return login_throttled(super().login)(request, extra_context)


def theme_stylesheet(request: HttpRequest) -> str:
    """The theme's colour variables (UNFOLD["STYLES"])."""
    return static("shop/admin-theme.css")


def shop_stylesheet(request: HttpRequest) -> str:
    """The project's own admin additions (dashboard, stock highlighting)."""
    return static("shop/admin.css")
