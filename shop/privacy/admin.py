from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from merchants.admin_scoping import OperatorOnlyAdmin
from shop.core.admin import ReadOnlyAdmin

from . import consent
from .models import Consent, PrivacyNotice, PurgeRun, RightsRequest


@admin.register(PrivacyNotice)
class PrivacyNoticeAdmin(OperatorOnlyAdmin):
    """Operators publish a new version; a published one stays as it was (consents name it)."""

    list_display = ["version", "published_at"]
    fields = ["version", "body", "body_en", "published_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: PrivacyNotice | None = None):
        return ["version", "body", "body_en", "published_at"] if obj else ["version"]

    def get_fields(self, request: HttpRequest, obj: PrivacyNotice | None = None):
        return self.fields if obj else ["body", "body_en"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        current = consent.notice_current()
        return {"body": current.body, "body_en": current.body_en}

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: PrivacyNotice, form, change: bool) -> None:
        if change:
            return
        notice = consent.notice_publish(body=obj.body, body_en=obj.body_en)
        obj.pk, obj.version, obj.published_at = notice.pk, notice.version, notice.published_at


@admin.register(Consent)
class ConsentAdmin(OperatorOnlyAdmin, ReadOnlyAdmin):
    list_display = ["given_at", "purpose", "notice", "user", "recipient_merchant", "claim"]
    list_filter = ["purpose", "notice"]
    list_select_related = ["notice", "user", "recipient_merchant"]
    search_fields = ["user__email", "recipient_merchant__name", "=claim__id"]
    date_hierarchy = "given_at"


@admin.register(RightsRequest)
class RightsRequestAdmin(OperatorOnlyAdmin, ReadOnlyAdmin):
    """Every download, deletion and erasure, and its outcome (never the erased data)."""

    list_display = [
        "requested_at",
        "kind",
        "status",
        "user",
        "claim",
        "open_orders",
        "open_gifts",
        "outcome_shown",
        "completed_at",
    ]
    list_filter = ["kind", "status"]
    list_select_related = ["user"]
    search_fields = ["=user__id", "=claim__id"]
    date_hierarchy = "requested_at"

    @admin.display(description=_("outcome"))
    def outcome_shown(self, request: RightsRequest) -> str:
        return gettext(request.outcome) if request.outcome else ""


@admin.register(PurgeRun)
class PurgeRunAdmin(OperatorOnlyAdmin, ReadOnlyAdmin):
    """The retention purge's runs: the last one on top, with what it masked and deleted."""

    list_display = [
        "started_at",
        "finished_at",
        "orders_purged",
        "claims_purged",
        "access_logs_deleted",
        "deletions_completed",
        "failed",
    ]
