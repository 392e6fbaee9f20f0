"""Operators manage partners here: keys (shown once), top-ups, merchants, webhooks."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from merchants.admin_scoping import OperatorOnlyAdmin
from shop.core.admin import ReadOnlyAdmin, ReadOnlyInline

from . import services
from .models import ApiKey, BalanceEntry, Partner, WebhookDelivery, WebhookEndpoint, WebhookEvent


class TopUpForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount (CNY)"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    reference = forms.CharField(
        label=_("Payment reference"),
        max_length=40,
        help_text=_("The bank transfer's reference; the same reference is credited once."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ApiKeyInline(ReadOnlyInline):
    model = ApiKey
    fields = ["prefix", "label", "created_at", "last_used_at", "revoked_at"]


@admin.register(Partner)
class PartnerAdmin(OperatorOnlyAdmin):
    list_display = ["name", "balance", "is_active", "created_at"]
    search_fields = ["name"]
    filter_horizontal = ["merchants"]
    readonly_fields = ["balance"]
    inlines = [ApiKeyInline]
    actions = ["issue_key"]

    def get_urls(self) -> list:
        return [
            path(
                "<int:pk>/top-up/",
                self.admin_site.admin_view(self.top_up_view),
                name="partners_partner_top_up",
            ),
            *super().get_urls(),
        ]

    @admin.action(description=_("Issue an API key (shown once)"))
    def issue_key(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        issued = [services.api_key_issue(partner=p, label="admin") for p in queryset]
        return TemplateResponse(
            request,
            "admin/partners/keys_issued.html",
            {**self.admin_site.each_context(request), "title": _("New API keys"), "issued": issued},
        )

    def top_up_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        partner = get_object_or_404(Partner, pk=pk)
        form = TopUpForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            movement = services.balance_top_up(partner=partner, **form.cleaned_data)
            if movement.created:
                messages.success(request, _("Balance credited."))
            else:
                messages.warning(
                    request, _("This reference was already credited; nothing was added.")
                )
            return redirect(reverse("admin:partners_partner_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Top up %(partner)s") % {"partner": partner},
            "form": form,
            "partner": partner,
        }
        return TemplateResponse(request, "admin/partners/top_up.html", context)


@admin.register(ApiKey)
class ApiKeyAdmin(OperatorOnlyAdmin, ReadOnlyAdmin):
    list_display = ["prefix", "partner", "label", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["partner"]
    actions = ["revoke"]

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        for api_key in queryset:
            services.api_key_revoke(api_key=api_key)
        messages.success(request, _("Revoked."))

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return obj is None and super(ReadOnlyAdmin, self).has_change_permission(request, obj)


@admin.register(BalanceEntry)
class BalanceEntryAdmin(OperatorOnlyAdmin, ReadOnlyAdmin):
    list_display = ["created_at", "partner", "kind", "amount", "balance_after", "reference"]
    list_filter = ["kind", "partner"]
    search_fields = ["reference", "idempotency_key"]
    list_select_related = ["partner"]
    date_hierarchy = "created_at"


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(OperatorOnlyAdmin, ReadOnlyAdmin):
    list_display = ["url", "partner", "is_active", "created_at"]
    list_filter = ["is_active", "partner"]
    exclude = ["secret"]


class DeliveryInline(ReadOnlyInline):
    model = WebhookDelivery
    fields = ["endpoint", "status", "attempts", "response_status", "error", "delivered_at"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(OperatorOnlyAdmin, ReadOnlyAdmin):
    list_display = ["public_id", "type", "partner", "created_at"]
    list_filter = ["type", "partner"]
    search_fields = ["public_id"]
    inlines = [DeliveryInline]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(OperatorOnlyAdmin, ReadOnlyAdmin):
    list_display = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "response_status",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "event__type"]
    search_fields = ["event__public_id", "endpoint__url"]
    list_select_related = ["event", "endpoint"]
    actions = ["retry_now"]

    @admin.action(description=_("Send again now"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.exclude(status=WebhookDelivery.Status.SUCCEEDED).update(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at=timezone.now(),
            locked_until=None,
            queued_until=None,
        )
        messages.success(request, _("%(count)d deliveries queued.") % {"count": count})
