from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from shop.payments.models import Refund

from . import services
from .models import Order


def _send(order: Order, template: str, context: dict) -> None:
    """Render `template`.txt / _subject.txt in the shopper's language and send it."""
    if order.user is None or not order.user.email:
        return
    with translation.override(order.language):
        context = {
            "order": order,
            "order_url": settings.SITE_URL + reverse("orders:detail", args=[order.number]),
            **context,
        }
        subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
        body = render_to_string(f"emails/{template}.txt", context)
    send_mail(subject, body, None, [order.user.email])


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_order_confirmation_task(order_id: int) -> None:
    order = (
        Order.objects.select_related("user", "merchant").prefetch_related("lines").get(pk=order_id)
    )
    _send(order, "order_paid", {"lines": list(order.lines.all())})


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_refund_email_task(refund_id: int) -> None:
    refund = Refund.objects.get(pk=refund_id)
    kind, _, order_id = refund.subject.partition(":")
    if kind != "order":
        return
    order = Order.objects.select_related("user", "payment").get(pk=int(order_id))
    if order.is_gift:  # the money went back to the sender, not to this order's recipient
        return
    _send(order, "order_refunded", {"refund": refund})


@shared_task
def cancel_unpaid_orders_task() -> None:
    services.orders_cancel_unpaid()
