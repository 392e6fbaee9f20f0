from django.contrib import admin

from merchants.admin_scoping import OperatorOnlyAdmin
from shop.core.admin import ReadOnlyAdmin

from .models import SandboxCharge, SandboxMode, SandboxNotification, SandboxRefund


@admin.register(SandboxMode)
class SandboxModeAdmin(OperatorOnlyAdmin):
    list_display = [
        "__str__",
        "decline_payments",
        "timeout_requests",
        "duplicate_notifications",
        "notify_before_redirect",
        "fail_refunds",
    ]


@admin.register(SandboxCharge)
class SandboxChargeAdmin(OperatorOnlyAdmin, ReadOnlyAdmin):
    list_display = ["id", "merchant_reference", "amount", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["id", "merchant_reference"]


@admin.register(SandboxRefund)
class SandboxRefundAdmin(OperatorOnlyAdmin, ReadOnlyAdmin):
    list_display = ["id", "idempotency_key", "amount", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["id", "idempotency_key"]


@admin.register(SandboxNotification)
class SandboxNotificationAdmin(OperatorOnlyAdmin, ReadOnlyAdmin):
    list_display = ["id", "url", "attempts", "delivered_at", "last_error", "created_at"]
    search_fields = ["id"]
