"""Sending one notice: claim it, send it by its channel, record how it went.

The claim is a lease on the row (shop.core.leases), so the task and the sweep never send
the same notice at once; a sent notice is never sent again.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from shop.core import leases

from . import selectors
from .backends import SmsMessage, SmsRefused, get_backend
from .models import Notice

logger = logging.getLogger(__name__)

LEASE_SECONDS = 120
MAX_BACKOFF_SECONDS = 3600
ERROR_KEPT_CHARS = 300
S = Notice.Status


def backoff_seconds(attempts: int) -> int:
    """NOTICE_RETRY_BASE_SECONDS, doubling with each failed try, capped at an hour."""
    return leases.doubling(settings.NOTICE_RETRY_BASE_SECONDS, attempts, MAX_BACKOFF_SECONDS)


def _claim(notice_id: int) -> bool:
    return leases.take(Notice.objects.filter(status=S.PENDING), notice_id, LEASE_SECONDS)


def _send_email(notice: Notice, context: dict) -> str | None:
    """Sends and returns "" (mail has no id to keep); None when nobody can receive it."""
    user = notice.user
    if not user.is_active or not user.email:  # an erased account: nobody to tell
        return None
    subject, body = selectors.email_for(notice, context)
    send_mail(subject, body, None, [user.email])
    return ""


def _send_sms(notice: Notice, context: dict) -> str:
    return get_backend().send(
        SmsMessage(
            phone=notice.phone,
            text=selectors.sms_for(notice, context),
            kind=notice.kind,
            language=notice.language,
            reference=notice.key,
            params={k: v for k, v in notice.context.items() if isinstance(v, str | int)},
        )
    )


def deliver(notice_id: int) -> str | None:
    """One try if the notice is due and unclaimed; returns its new status (None: nothing
    to do, as it was sent, parked, not due or another worker holds it)."""
    if not _claim(notice_id):
        return None
    notice = Notice.objects.select_related("user").get(pk=notice_id)
    try:
        context = selectors.context_for(notice)
        if context is None:
            reference = None
        elif notice.channel == Notice.Channel.EMAIL:
            reference = _send_email(notice, context)
        else:
            reference = _send_sms(notice, context)
    except SmsRefused as error:
        return _failed(notice, error, park=True)
    except Exception as error:  # any failure of a try is recorded and retried, then parked
        return _failed(notice, error, park=False)
    if reference is None:
        return _finish(notice, S.DROPPED)
    return _finish(notice, S.SENT, provider_reference=reference, sent_at=timezone.now())


def _finish(notice: Notice, status: str, **fields: object) -> str:
    Notice.objects.filter(pk=notice.pk).update(
        status=status, locked_until=None, last_error="", **fields
    )
    return status


def _failed(notice: Notice, error: Exception, *, park: bool) -> str:
    text = f"{type(error).__name__}: {error}"[:ERROR_KEPT_CHARS]
    if park or notice.attempts >= settings.NOTICE_MAX_ATTEMPTS:
        Notice.objects.filter(pk=notice.pk).update(
            status=S.PARKED, locked_until=None, last_error=text
        )
        logger.error("Notice %s parked after %s tries: %s", notice.pk, notice.attempts, text)
        return S.PARKED
    retry_at = timezone.now() + timedelta(seconds=backoff_seconds(notice.attempts))
    Notice.objects.filter(pk=notice.pk).update(
        next_attempt_at=retry_at, locked_until=None, last_error=text
    )
    logger.warning("Notice %s failed (%s), retrying at %s", notice.pk, text, retry_at)
    return S.PENDING
