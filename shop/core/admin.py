from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from merchants.admin_scoping import OperatorOnlyAdmin

from . import jobs
from .admin_theme import ThemedModelAdmin, ThemedTabularInline
from .models import JobItem


class ReadOnlyAdmin(ThemedModelAdmin):
    """For ledgers and logs: rows are written by services, never edited by hand."""

    # URLs in these rows (return URLs, webhook endpoints) are https (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyInline(ThemedTabularInline):
    """Rows shown beside their parent (lines, events, documents), never edited there."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return list(self.fields or [])

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(JobItem)
class JobItemAdmin(OperatorOnlyAdmin, ReadOnlyAdmin):
    """What the periodic jobs could not process: operators read the error and retry."""

    list_display = ["job_label", "item", "status", "attempts", "error_line", "last_failed_at"]
    list_filter = ["status", "job"]
    search_fields = ["job", "=item_id", "error"]
    fields = [
        "job_label",
        "item",
        "status",
        "attempts",
        "first_failed_at",
        "last_failed_at",
        "retry_at",
        "error",
    ]
    readonly_fields = fields
    actions = ["retry_now"]

    @admin.display(description=_("job"), ordering="job")
    def job_label(self, item: JobItem) -> str:
        job = jobs.JOBS.get(item.job)
        return f"{gettext(job.label)} ({item.job})" if job else item.job

    @admin.display(description=_("item"), ordering="item_id")
    def item(self, item: JobItem) -> str:
        job = jobs.JOBS.get(item.job)
        if job is None or job.model is None:
            return str(item.item_id)
        try:
            url = reverse(f"admin:{job.model.replace('.', '_')}_change", args=[item.item_id])
        except NoReverseMatch:
            return str(item.item_id)
        return format_html('<a href="{}">{} #{}</a>', url, job.model, item.item_id)

    @admin.display(description=_("last error"))
    def error_line(self, item: JobItem) -> str:
        lines = item.error.strip().splitlines()
        return lines[-1][:160] if lines else ""

    @admin.action(description=_("Retry now"), permissions=["view"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[JobItem]) -> None:
        items = list(queryset)
        for item in items:
            jobs.retry(item)
        self.message_user(
            request,
            gettext("%(count)d items will be retried on the next run of their job.")
            % {"count": len(items)},
            messages.SUCCESS,
        )
