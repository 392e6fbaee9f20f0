from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from shop.payments.models import Refund

from . import changes, selectors, services
from .models import Gift


@shared_task
def expire_due_gifts_task() -> int:
    """Beat, every GIFT_EXPIRY_SWEEP_SECONDS: the database, not a broker ETA, drives expiry."""
    return services.gifts_expire_due()


@shared_task
def resolve_due_changes_task() -> int:
    """Beat, every GIFT_CHANGE_SWEEP_SECONDS: answer the changes merchants left unanswered."""
    return changes.changes_resolve_due()


@shared_task
def remind_senders_task() -> int:
    return services.gifts_send_reminders()


@shared_task
def abandon_unpaid_gifts_task() -> int:
    return services.gifts_abandon_unpaid()


def _mail_sender(gift: Gift, template: str, context: dict) -> None:
    if gift.sender is None or not gift.sender.email:
        return
    with translation.override(gift.language):
        context = {
            "gift": gift,
            "product": gift.sku.product,
            "gift_url": settings.SITE_URL + reverse("gifting:sent_detail", args=[gift.pk]),
            **context,
        }
        subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
        body = render_to_string(f"emails/{template}.txt", context)
    send_mail(subject, body, None, [gift.sender.email])


def _gift(gift_id: int) -> Gift:
    return Gift.objects.select_related("sender", "sku__product").get(pk=gift_id)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_gift_reminder_task(gift_id: int) -> None:
    gift = _gift(gift_id)
    if gift.status != Gift.Status.AWAITING_RECIPIENT:
        return
    link = selectors.claim_url(gift)
    _mail_sender(gift, "gift_reminder", {"claim_url": link})


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_gifts_refunded_task(pairs: list[tuple[int, int]]) -> None:
    """Tell each sender their gift's money is back (a batch from one settling)."""
    refunds = Refund.objects.in_bulk([refund_id for _, refund_id in pairs])
    for gift_id, refund_id in pairs:
        _mail_sender(_gift(gift_id), "gift_refunded", {"refund": refunds[refund_id]})
