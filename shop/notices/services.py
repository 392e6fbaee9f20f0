"""Writes for notices: the domain says what happened; a row says whom to tell, once.

`notify_user` (email, in the user's language) and `notify_phone` (a text message) write
a Notice inside the caller's transaction, unique on (channel, key): the same key again
is the same notice, so a retried or racing change tells people once. The send task is
published when the transaction commits; context is plain data (strings, numbers) kept on
the row, and rendered only when it is sent.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from shop.core.privacy import mask_phone
from shop.core.tasks import publish

from .models import Notice
from .tasks import send_notice_task

C = Notice.Channel


def notify_user(*, kind: str, key: str, user: object, context: dict) -> None:
    """Email `user` (nothing for no user: a partner's gift has no sender account)."""
    notify_users(kind=kind, items=[(key, user, context)])


def notify_users(*, kind: str, items: Iterable[tuple[str, object, dict]]) -> None:
    """`notify_user` for a batch (the expiry sweep's): a fixed number of statements."""
    now = timezone.now()
    rows = [
        Notice(
            channel=C.EMAIL,
            kind=kind,
            key=key,
            user=user,
            language=user.language,
            context=context,
            next_attempt_at=now,
        )
        for key, user, context in items
        if user is not None
    ]
    _write(C.EMAIL, rows)


def notify_phone(*, kind: str, key: str, phone: str, language: str, context: dict) -> None:
    """Text `phone`. Keys of a gift recipient's messages start with `claim-<id>-`, so the
    privacy purge finds them (`notices_erase_for`)."""
    row = Notice(
        channel=C.SMS,
        kind=kind,
        key=key,
        phone=phone,
        language=language,
        context=context,
        next_attempt_at=timezone.now(),
    )
    _write(C.SMS, [row])


def _write(channel: str, rows: list[Notice]) -> None:
    if not rows:
        return
    Notice.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(
        Notice.objects.filter(
            channel=channel, key__in=[row.key for row in rows], status=Notice.Status.PENDING
        )
        .filter(attempts=0)
        .values_list("pk", flat=True)
    )
    # A key written before is not new, but publishing it again is harmless: a try first
    # claims its row, and a sent notice is never due.
    transaction.on_commit(lambda: [publish(send_notice_task, pk) for pk in ids])


def notice_retry(*, notices: QuerySet[Notice]) -> int:
    """The operator's "retry now" for parked notices: due at once, with a fresh count."""
    ids = list(notices.filter(status=Notice.Status.PARKED).values_list("pk", flat=True))
    with transaction.atomic():
        Notice.objects.filter(pk__in=ids).update(
            status=Notice.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        transaction.on_commit(lambda: [publish(send_notice_task, pk) for pk in ids])
    return len(ids)


def notices_drop_replayed(*, after_id: int) -> int:
    """A replay of the past (the demo's history) wrote notices the people in it would have
    had back then: never send them now. `after_id`: the last notice before the replay."""
    return Notice.objects.filter(pk__gt=after_id, status=Notice.Status.PENDING).update(
        status=Notice.Status.DROPPED
    )


def notices_erase_for(*, key_prefix: str) -> int:
    """The recipient's data is purged: their text messages keep a masked number and lose
    what they said (a tracking link); a message not sent yet never will be."""
    rows = Notice.objects.filter(channel=C.SMS, key__startswith=key_prefix)
    count = 0
    for notice in rows.exclude(phone__contains="*"):
        changes: dict = {"phone": mask_phone(notice.phone), "context": {}}
        if notice.status in (Notice.Status.PENDING, Notice.Status.PARKED):
            changes["status"] = Notice.Status.DROPPED
        count += Notice.objects.filter(pk=notice.pk).update(**changes)
    return count
