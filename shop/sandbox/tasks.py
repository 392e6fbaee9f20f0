from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from . import provider
from .models import SandboxNotification

MAX_ATTEMPTS = 15


@shared_task(bind=True, max_retries=8, acks_late=True)
def deliver_notification(self, notification_id: str) -> None:
    """Deliver one notification, retrying with backoff like a real provider."""
    if not provider.notification_deliver(notification_id=notification_id):
        raise self.retry(countdown=min(2**self.request.retries, 60))


@shared_task(acks_late=True)
def deliver_notifications(notification_ids: list[str]) -> None:
    """A batch (one refund batch's notifications); failures wait for the redelivery sweep."""
    for notification_id in notification_ids:
        provider.notification_deliver(notification_id=notification_id)


@shared_task
def redeliver_notifications() -> None:
    """Safety net: send notifications whose delivery was never queued or gave up."""
    stale = timezone.now() - timedelta(seconds=30)
    pending = SandboxNotification.objects.filter(
        delivered_at__isnull=True, created_at__lt=stale, attempts__lt=MAX_ATTEMPTS
    ).values_list("pk", flat=True)[:100]
    for notification_id in pending:
        provider.notification_deliver(notification_id=notification_id)
