from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from . import services
from .models import Order, OrderEvent, OrderLine, RefundRequest


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = ["product_title", "sku_label", "unit_price", "quantity"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "note"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Status and money change only through the services; the admin shows them."""

    list_display = [
        "number",
        "merchant",
        "user",
        "status",
        "total",
        "refunded_amount",
        "created_at",
    ]
    list_filter = ["status", "merchant"]
    list_select_related = ["merchant", "user"]
    search_fields = ["number", "user__email", "payment__reference"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "number",
        "user",
        "merchant",
        "payment",
        "status",
        "total",
        "refunded_amount",
        "language",
        "created_at",
        "paid_at",
        "cancelled_at",
    ]
    inlines = [OrderLineInline, OrderEventInline]
    actions = ["cancel_unpaid"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Cancel the selected unpaid orders"))
    def cancel_unpaid(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        done = 0
        for order in queryset:
            try:
                services.order_cancel(order=order, note=gettext_noop("Cancelled by an operator"))
                done += 1
            except services.OrderError:
                continue
        self.message_user(request, _("%(count)d orders cancelled.") % {"count": done})


@admin.register(RefundRequest)
class RefundRequestAdmin(admin.ModelAdmin):
    list_display = ["order", "amount", "reason", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["order"]
    search_fields = ["order__number", "reason"]
    readonly_fields = ["order", "amount", "reason", "status", "created_at", "decided_at"]
    fields = [*readonly_fields, "decision_note"]
    actions = ["approve", "refuse"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Approve and refund"))
    def approve(self, request: HttpRequest, queryset: QuerySet[RefundRequest]) -> None:
        for refund_request in queryset.select_related("order__payment"):
            try:
                services.refund_request_approve(request=refund_request)
            except services.OrderError as error:
                self.message_user(request, f"{refund_request.order}: {error}", messages.WARNING)

    @admin.action(description=_("Refuse"))
    def refuse(self, request: HttpRequest, queryset: QuerySet[RefundRequest]) -> None:
        for refund_request in queryset:
            try:
                services.refund_request_refuse(
                    request=refund_request, note=refund_request.decision_note or str(_("Refused"))
                )
            except services.OrderError as error:
                self.message_user(request, f"{refund_request.order}: {error}", messages.WARNING)
