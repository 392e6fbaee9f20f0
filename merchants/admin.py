from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from shop.core.admin import ReadOnlyAdmin, ReadOnlyInline
from shop.core.admin_theme import ThemedFileInput, ThemedTabularInline
from shop.core.exports import CsvWriter

from . import selectors, services
from .admin_scoping import MerchantScopedAdmin, OperatorOnlyAdmin
from .models import (
    AddressAccessLog,
    ApplicationDocument,
    Merchant,
    MerchantApplication,
    MerchantStaff,
)
from .selectors import is_operator, merchant_for_user
from .uploads import PhotoField


class MerchantStaffInline(ThemedTabularInline):
    model = MerchantStaff
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]


# The shop's own switches, which its staff may change; every other field is the operators'.
STAFF_SETTINGS = {"auto_list_clean_products", "includes_greeting_card", "logo"}


@admin.register(Merchant)
class MerchantAdmin(MerchantScopedAdmin):
    list_display = ["name", "name_en", "status", "contact_name", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "name_en", "slug", "legal_name", "uscc"]
    prepopulated_fields = {"slug": ["name_en"]}
    filter_horizontal = ["categories"]
    actions = ["suspend", "reinstate"]

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "logo":  # checked by content and bounded, as product photos
            return PhotoField(
                label=db_field.verbose_name,
                help_text=db_field.help_text,
                required=False,
                widget=ThemedFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_prepopulated_fields(self, request: HttpRequest, obj: Merchant | None = None) -> dict:
        return self.prepopulated_fields if is_operator(request.user) else {}

    def get_inlines(self, request: HttpRequest, obj: Merchant | None):
        return [MerchantStaffInline] if is_operator(request.user) else []

    def get_readonly_fields(self, request: HttpRequest, obj: Merchant | None = None) -> list[str]:
        if is_operator(request.user):
            return []
        return [f.name for f in Merchant._meta.fields if f.name not in STAFF_SETTINGS] + [
            "categories"
        ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_operator(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Merchant | None = None) -> bool:
        # Staff may change their own shop's settings (STAFF_SETTINGS), nothing else.
        return super().has_change_permission(request, obj) or (
            obj is not None and request.user.has_perm("merchants.view_merchant")
        )

    def get_actions(self, request: HttpRequest) -> dict:
        return super().get_actions(request) if is_operator(request.user) else {}

    @admin.action(description=_("Suspend: hide their products now"))
    def suspend(self, request: HttpRequest, queryset: QuerySet[Merchant]) -> None:
        done = sum(services.merchant_suspend(merchant=m) for m in queryset)
        self.message_user(request, _("%(count)d merchants suspended.") % {"count": done})

    @admin.action(description=_("Reinstate"))
    def reinstate(self, request: HttpRequest, queryset: QuerySet[Merchant]) -> None:
        done = sum(services.merchant_reinstate(merchant=m) for m in queryset)
        self.message_user(request, _("%(count)d merchants reinstated.") % {"count": done})


class StaffAddForm(forms.ModelForm):
    """Add a colleague by email; they set a password through the reset link."""

    email = forms.EmailField(label=_("email"))
    name = forms.CharField(label=_("name"), max_length=100, required=False)

    class Meta:
        model = MerchantStaff
        fields = ["merchant"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        try:
            merchant = self.cleaned_data.get("merchant") or getattr(self, "shop", None)
            services.staff_check(email=email, merchant=merchant)
        except services.ApplicationError as error:
            raise forms.ValidationError(str(error)) from error
        return email


@admin.register(MerchantStaff)
class MerchantStaffAdmin(MerchantScopedAdmin):
    list_display = ["user", "merchant", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__name"]
    list_select_related = ["user", "merchant"]

    def get_form(self, request: HttpRequest, obj: MerchantStaff | None = None, **kwargs):
        if obj is None:
            kwargs["form"] = type(
                "StaffAddForm", (StaffAddForm,), {"shop": merchant_for_user(request.user)}
            )
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request: HttpRequest, obj: MerchantStaff | None = None) -> list[str]:
        if obj is None:
            return ["merchant", "email", "name"] if is_operator(request.user) else ["email", "name"]
        return ["user", "merchant", "role", "created_at"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: MerchantStaff | None = None
    ) -> list[str]:
        return ["user", "merchant", "role", "created_at"] if obj else []

    def save_model(self, request: HttpRequest, obj: MerchantStaff, form, change: bool) -> None:
        if change:
            return
        merchant = (
            form.cleaned_data.get("merchant")
            if is_operator(request.user)
            else merchant_for_user(request.user)
        )
        try:
            staff = services.staff_add(
                merchant=merchant, email=form.cleaned_data["email"], name=form.cleaned_data["name"]
            )
        except services.ApplicationError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        obj.pk, obj.user, obj.merchant = staff.pk, staff.user, staff.merchant

    def delete_model(self, request: HttpRequest, obj: MerchantStaff) -> None:
        services.staff_remove(staff=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[MerchantStaff]) -> None:
        for staff in queryset.select_related("user"):
            services.staff_remove(staff=staff)


class ApplicationDocumentInline(ReadOnlyInline):
    model = ApplicationDocument
    fields = ["kind", "category", "link", "content_type", "uploaded_at"]

    @admin.display(description=_("file"))
    def link(self, document: ApplicationDocument) -> str:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            document.file.url,
            document.file.name,
        )


@admin.register(MerchantApplication)
class MerchantApplicationAdmin(OperatorOnlyAdmin):
    """The review queue. Approve or reject from the application's page."""

    list_display = [
        "shop_name",
        "legal_name",
        "uscc",
        "contact_name",
        "status",
        "partner",
        "created_at",
    ]
    list_filter = ["status", "categories", "created_at"]
    search_fields = ["shop_name", "legal_name", "uscc", "contact_name", "email", "contact_phone"]
    readonly_fields = [
        "legal_name",
        "shop_name",
        "uscc",
        "contact_name",
        "contact_phone",
        "email",
        "category_list",
        "status",
        "merchant",
        "partner",
        "reviewed_by",
        "created_at",
        "reviewed_at",
    ]
    fields = [*readonly_fields, "rejection_reason"]
    inlines = [ApplicationDocumentInline]
    change_form_template = "admin/merchants/merchantapplication/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("categories"))
    def category_list(self, application: MerchantApplication) -> str:
        return format_html_join(
            ", ",
            "{}{}",
            (
                (c.display_name, " *" if c.requires_qualification else "")
                for c in application.categories.all()
            ),
        )

    def response_change(self, request: HttpRequest, obj: MerchantApplication) -> HttpResponse:
        try:
            if "_approve" in request.POST:
                merchant = services.application_approve(application=obj, operator=request.user)
                self.message_user(
                    request, _("Approved: %(shop)s is open.") % {"shop": merchant.name}
                )
                return HttpResponseRedirect(request.path)
            if "_reject" in request.POST:
                services.application_reject(
                    application=obj,
                    operator=request.user,
                    reason=request.POST.get("rejection_reason", ""),
                )
                self.message_user(request, _("Rejected; the applicant was emailed the reason."))
                return HttpResponseRedirect(request.path)
        except services.ApplicationError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)


class PeriodForm(forms.Form):
    since = forms.DateField(label=_("first day"), widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("last day"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data


@admin.register(AddressAccessLog)
class AddressAccessLogAdmin(OperatorOnlyAdmin, ReadOnlyAdmin):
    """Who opened which order's full address: operators audit it, and export a period."""

    list_display = ["viewed_at", "user", "partner", "order"]
    list_select_related = ["user", "partner", "order"]
    search_fields = ["user__email", "partner__name", "order__number"]
    date_hierarchy = "viewed_at"
    actions = ["export_csv"]
    change_list_template = "admin/merchants/addressaccesslog/change_list.html"

    def get_urls(self) -> list:
        export = path(
            "export/",
            self.admin_site.admin_view(self.export_period_view),
            name="merchants_addressaccesslog_export",
        )
        return [export, *super().get_urls()]

    def export_period_view(self, request: HttpRequest) -> HttpResponse:
        """The log for a period (whole days, both included), as CSV; the form otherwise."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = PeriodForm(request.GET or None)
        if form.is_valid():
            views = selectors.address_views_between(
                form.cleaned_data["since"], form.cleaned_data["until"]
            )
            return self._csv(views)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Export address views"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/merchants/addressaccesslog/export.html", context)

    @admin.action(description=_("Export as CSV"), permissions=["view"])
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[AddressAccessLog]
    ) -> HttpResponse:
        return self._csv(queryset)

    def _csv(self, views: QuerySet[AddressAccessLog]) -> HttpResponse:
        """Who, when, which order: no address in it; no cell is ever a formula."""
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="address-views.csv"'
        response.write("\ufeff")  # so spreadsheet programs read the UTF-8 Chinese text
        writer = CsvWriter(response)
        writer.writerow(["viewed_at", "viewer", "via", "order", "merchant"])
        for view in views.select_related("user", "partner", "order__merchant").order_by(
            "viewed_at", "pk"
        ):
            writer.writerow(
                [
                    view.viewed_at.isoformat(),
                    view.user.email if view.user else view.partner.name,
                    "staff" if view.user else "api",
                    view.order.number,
                    view.order.merchant.name,
                ]
            )
        return response
