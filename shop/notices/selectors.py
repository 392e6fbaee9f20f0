"""Reads for notices: which are due, and what one says (rendered at send time)."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from shop.core import leases

from . import kinds
from .models import Notice


def due_notice_ids(limit: int = 1000) -> list[int]:
    """Pending notices whose time has come and that no worker holds (a lapsed lease too)."""
    now = timezone.now()
    return list(
        Notice.objects.filter(
            leases.unheld(now),
            status=Notice.Status.PENDING,
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def _render(notice: Notice, context: dict, name: str) -> str:
    with translation.override(notice.language):
        return render_to_string(f"notices/{notice.kind}/{name}", context)


def email_for(notice: Notice, context: dict) -> tuple[str, str]:
    """(subject, body) in the notice's language, from templates/notices/<kind>/."""
    subject = " ".join(_render(notice, context, "subject.txt").split())
    return subject, _render(notice, context, "body.txt")


def sms_for(notice: Notice, context: dict) -> str:
    return _render(notice, context, "sms.txt").strip()


def context_for(notice: Notice) -> dict | None:
    """What its templates see: the stored context, completed by its kind (None: drop it)."""
    context = kinds.prepared(notice.kind, dict(notice.context))
    return None if context is None else {**context, "site_url": settings.SITE_URL}


def last_notice_id() -> int:
    return Notice.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
