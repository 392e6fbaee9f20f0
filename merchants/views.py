from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from shop.core.pages import errors_on_form

from . import dashboard as figures
from . import services
from .forms import ApplicationForm
from .models import MerchantApplication
from .selectors import is_operator, merchant_for_user

STATUS_SALT = "merchants.application-status"


def _dashboard_context(request: HttpRequest) -> dict:
    """The dashboard's figures: the merchant's own, or the platform's (and queues) for operators."""
    operator = is_operator(request.user)
    merchant = None if operator else merchant_for_user(request.user)
    if merchant is None and not operator:
        return {"missing": True}
    data = figures.dashboard(merchant=merchant)
    return {
        "data": data,
        "chart": mark_safe(figures.bar_chart_svg(data.daily_sales)),  # built from numbers only
        "to_ship_url": reverse("backoffice:orders_to_ship"),
        "queues": figures.platform_queues() if operator else [],
    }


@staff_member_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The dashboard on its own page (the admin's home page shows the same)."""
    context = {"title": _("Dashboard"), **_dashboard_context(request)}
    return render(request, "admin/merchants/dashboard.html", context)


def admin_index_context(request: HttpRequest, context: dict) -> dict:
    """UNFOLD["DASHBOARD_CALLBACK"]: the admin's home page is the dashboard."""
    return {**context, "title": _("Dashboard"), **_dashboard_context(request)}


def _status_url(application: MerchantApplication) -> str:
    return reverse(
        "merchants:application_status", args=[signing.dumps(application.pk, salt=STATUS_SALT)]
    )


def apply(request: HttpRequest) -> HttpResponse:
    """The public "Open a shop" form."""
    form = ApplicationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with errors_on_form(form):
            application = services.application_submit(
                data=form.cleaned_data,
                categories=list(form.cleaned_data["categories"]),
                licence=form.cleaned_data["licence"],
                qualifications=form.qualifications(),
            )
            messages.success(
                request,
                _("Thank you! Your application is waiting for review. Keep this page's link."),
            )
            return redirect(_status_url(application))
    return render(request, "merchants/apply.html", {"form": form})


def application_status(request: HttpRequest, key: str) -> HttpResponse:
    """The applicant's page (its signed link is the key): status, and a rejected one can be fixed."""
    try:
        pk = signing.loads(key, salt=STATUS_SALT)
    except signing.BadSignature as error:
        raise Http404("No such application") from error
    application = get_object_or_404(MerchantApplication, pk=pk)
    form = None
    if application.status == MerchantApplication.Status.REJECTED:
        initial = {
            f: getattr(application, f)
            for f in ("legal_name", "shop_name", "uscc", "contact_name", "contact_phone", "email")
        }
        initial["categories"] = list(application.categories.all())
        on_file = set(
            application.documents.filter(kind="qualification").values_list("category_id", flat=True)
        )
        form = ApplicationForm(
            request.POST or None,
            request.FILES or None,
            initial=initial,
            resubmission=True,
            on_file=on_file,
        )
        if request.method == "POST" and form.is_valid():
            with errors_on_form(form):
                services.application_submit(
                    application=application,
                    data=form.cleaned_data,
                    categories=list(form.cleaned_data["categories"]),
                    licence=form.cleaned_data.get("licence"),
                    qualifications=form.qualifications(),
                )
                messages.success(request, _("Resubmitted; it is waiting for review again."))
                return redirect(request.path)
    return render(request, "merchants/status.html", {"application": application, "form": form})
