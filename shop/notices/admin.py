"""Operators see every notice, read-only, with the phone masked, and retry parked ones."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from merchants.admin_scoping import OperatorOnlyAdmin
from shop.core.admin import ReadOnlyAdmin
from shop.core.privacy import mask_phone

from . import services
from .models import Notice


@admin.register(Notice)
class NoticeAdmin(OperatorOnlyAdmin, ReadOnlyAdmin):
    list_display = ["kind", "channel", "to", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["=key", "user__email"]
    fields = [
        "kind",
        "channel",
        "key",
        "to",
        "language",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "provider_reference",
        "created_at",
        "sent_at",
    ]
    readonly_fields = fields
    actions = ["retry_now"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Notice]:
        return super().get_queryset(request).select_related("user")

    @admin.display(description=_("to"))
    def to(self, notice: Notice) -> str:
        return notice.user.email if notice.user else mask_phone(notice.phone)

    @admin.action(description=_("Retry now"), permissions=["view"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Notice]) -> None:
        count = services.notice_retry(notices=queryset)
        self.message_user(
            request,
            gettext("%(count)d parked notices will be sent again.") % {"count": count},
            messages.SUCCESS,
        )
