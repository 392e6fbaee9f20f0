"""The merchant back office's pages beside the model admin: bulk imports and exports,
and the orders waiting to ship. Each is an admin page (`admin_view`: signed-in staff, the
admin's header and sidebar) and reads only the user's own shop."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from merchants import imports, selectors
from merchants.models import ImportJob
from shop.core.admin_theme import ThemedFileInput
from shop.core.pages import errors_as_messages, errors_on_form

PERMISSIONS = {
    ImportJob.Kind.CATALOGUE: ("catalogue.change_sku", "catalogue.add_sku"),
    ImportJob.Kind.TRACKING: ("orders.change_order",),
}
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV or XLSX file"),
        widget=ThemedFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


def _context(request: HttpRequest, title: str, **extra: object) -> dict:
    return {**admin.site.each_context(request), "title": title, **extra}


def _merchant_or_refuse(request: HttpRequest, kind: str):
    merchant = selectors.merchant_for_user(request.user)
    if merchant is None or not request.user.has_perms(PERMISSIONS[kind]):
        raise PermissionDenied(_("Imports are made by a shop's own staff."))
    return merchant


def _import_page(request: HttpRequest, kind: str, template: str, title: str) -> HttpResponse:
    _merchant_or_refuse(request, kind)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with errors_on_form(form):
            job = imports.import_job_create(
                user=request.user, kind=kind, upload=form.cleaned_data["file"]
            )
            return redirect("backoffice:import_job", job.pk)
    context = _context(
        request,
        title,
        form=form,
        max_bytes=settings.IMPORT_MAX_BYTES,
        max_rows=settings.IMPORT_MAX_ROWS,
        carriers=imports.CARRIERS,
    )
    return TemplateResponse(request, template, context)


def catalogue_import(request: HttpRequest) -> HttpResponse:
    return _import_page(
        request,
        ImportJob.Kind.CATALOGUE,
        "admin/merchants/backoffice/catalogue_import.html",
        _("Import and export products"),
    )


def tracking_import(request: HttpRequest) -> HttpResponse:
    return _import_page(
        request,
        ImportJob.Kind.TRACKING,
        "admin/merchants/backoffice/tracking_import.html",
        _("Import tracking numbers"),
    )


def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's progress while a worker runs it (the page refreshes itself, no script),
    then its preview (the rows with errors, or what applying will do) or its result."""
    job = imports.import_job_for(user=request.user, job_id=pk)
    if job is None:
        raise Http404
    _merchant_or_refuse(request, job.kind)
    if request.method == "POST":
        with errors_as_messages(request):
            imports.import_job_apply(job=job)
        return redirect("backoffice:import_job", job.pk)
    running = job.status in (ImportJob.Status.CHECKING, ImportJob.Status.APPLYING)
    if running:
        imports.import_job_nudge(job=job)
    again = (
        "backoffice:catalogue_import"
        if job.kind == ImportJob.Kind.CATALOGUE
        else "backoffice:tracking_import"
    )
    context = _context(
        request,
        _("Import: %(file)s") % {"file": job.filename},
        job=job,
        done=selectors.import_job_done_rows(job),
        running=running,
        again_url=reverse(again),
        form=ImportForm(),
    )
    return TemplateResponse(request, "admin/merchants/backoffice/import_job.html", context)


def catalogue_export(request: HttpRequest, file_format: str) -> HttpResponse:
    """The shop's products and SKUs in the import's columns: edit and import it back."""
    merchant = _merchant_or_refuse(request, ImportJob.Kind.CATALOGUE)
    if file_format not in EXPORT_TYPES:
        raise Http404
    data = imports.catalogue_export(merchant=merchant, file_format=file_format)
    response = HttpResponse(data, content_type=EXPORT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="products.{file_format}"'
    return response


def orders_to_ship(request: HttpRequest) -> HttpResponse:
    """Paid orders waiting to ship, gifts marked and recipients' changes with their
    deadline; the ticked orders go to the order admin's actions (slips, pick list, ship)."""
    if not request.user.has_perm("orders.view_order"):
        raise PermissionDenied
    orders = selectors.orders_to_ship(user=request.user)
    context = _context(
        request,
        _("Orders to ship"),
        orders=orders,
        action_url=reverse("admin:orders_order_changelist"),
        action_checkbox_name=admin.helpers.ACTION_CHECKBOX_NAME,
    )
    return TemplateResponse(request, "admin/merchants/backoffice/orders_to_ship.html", context)
