"""The privacy notice and the consents given to it.

Kept apart from `services` (which cancels gifts through the gifting services) so that the
gifting, accounts and merchants services can record a consent without an import cycle.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from shop.core import compiled

from . import default_notice
from .models import Consent, PrivacyNotice


def notice_current() -> PrivacyNotice:
    """The newest version; the first is the text shipped with the code, written on first
    use (so a fresh database, or one a test flushed, always has a notice to consent to)."""
    notice = PrivacyNotice.objects.order_by("-version").first()
    if notice is not None:
        return notice
    values = {
        "days": settings.PRIVACY_RETENTION_DAYS,
        "log_years": max(1, settings.ADDRESS_LOG_RETENTION_DAYS // 365),
    }
    try:
        with transaction.atomic():
            return PrivacyNotice.objects.create(
                version=1,
                body=default_notice.BODY.format(**values),
                body_en=default_notice.BODY_EN.format(**values),
            )
    except IntegrityError:  # another request wrote it first
        return PrivacyNotice.objects.get(version=1)


def _newest_first() -> QuerySet[PrivacyNotice]:
    return PrivacyNotice.objects.order_by("-version").values_list("pk")


def notice_publish(*, body: str, body_en: str = "") -> PrivacyNotice:
    """A new version; the earlier ones stay, with the consents given to them."""
    latest = notice_current()
    return PrivacyNotice.objects.create(version=latest.version + 1, body=body, body_en=body_en)


def consent_record(
    *,
    purpose: str,
    user: object | None = None,
    claim: object | None = None,
    application: object | None = None,
    merchant: object | None = None,
) -> Consent:
    """Record that the current notice was accepted, in the caller's transaction (which
    needs only the notice's id: its text is a few kilobytes)."""
    newest = compiled.rows("newest-privacy-notice", PrivacyNotice, _newest_first, limit=1)
    notice_id = newest[0][0] if newest else notice_current().pk
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return Consent.objects.create(
        purpose=purpose,
        notice_id=notice_id,
        user=user,
        claim=claim,
        application=application,
        recipient_merchant=merchant,
    )
