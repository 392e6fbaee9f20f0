from django.contrib import admin

from merchants.admin_scoping import OperatorOnlyAdmin
from shop.core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Payment, PaymentNotification, Refund


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["idempotency_key", "subject", "amount", "status", "provider_reference", "created_at"]


@admin.register(Payment)
class PaymentAdmin(OperatorOnlyAdmin, ReadOnlyAdmin):
    list_display = [
        "reference",
        "purpose",
        "amount",
        "status",
        "user",
        "created_at",
        "succeeded_at",
    ]
    list_filter = ["status", "purpose", "gateway"]
    search_fields = ["reference", "provider_reference", "user__email"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    inlines = [RefundInline]


@admin.register(Refund)
class RefundAdmin(OperatorOnlyAdmin, ReadOnlyAdmin):
    list_display = ["idempotency_key", "subject", "amount", "status", "attempts", "created_at"]
    list_filter = ["status"]
    search_fields = ["idempotency_key", "subject", "payment__reference", "provider_reference"]
    list_select_related = ["payment"]
    date_hierarchy = "created_at"


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(OperatorOnlyAdmin, ReadOnlyAdmin):
    list_display = ["event_id", "event_type", "gateway", "received_at"]
    list_filter = ["event_type", "gateway"]
    search_fields = ["event_id"]
