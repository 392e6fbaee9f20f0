"""Test helpers that play the sandbox provider's part without a network.

`deliver()` POSTs the provider's queued notifications, signed exactly as the provider
signs them, through the Django test client to the shop's notify URL.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.test import Client
from django.utils import timezone

from shop.core import signing
from shop.payments.models import Payment
from shop.sandbox import provider
from shop.sandbox.models import SandboxCharge, SandboxMode, SandboxNotification


def set_mode(**flags: bool) -> None:
    SandboxMode.objects.update_or_create(pk=1, defaults=flags)


def post_notification(
    client: Client, body: str, *, url: str, secret: str | None = None, timestamp: int | None = None
):
    raw = body.encode()
    header = signing.sign(raw, secret or settings.SANDBOX_SECRET, timestamp)
    return client.post(
        urlsplit(url).path,
        data=raw,
        content_type="application/json",
        HTTP_X_SANDBOX_SIGNATURE=header,
    )


def deliver(client: Client) -> list[int]:
    """Deliver every undelivered notification once, oldest first; returns the status codes."""
    statuses = []
    for notification in SandboxNotification.objects.filter(delivered_at__isnull=True).order_by(
        "created_at"
    ):
        response = post_notification(client, notification.body, url=notification.url)
        statuses.append(response.status_code)
        if 200 <= response.status_code < 300:
            SandboxNotification.objects.filter(pk=notification.pk).update(
                delivered_at=timezone.now()
            )
    return statuses


def pay(client: Client, payment: Payment, *, approve: bool = True) -> None:
    """The shopper confirms (or declines) on the hosted page and the provider notifies."""
    charge = SandboxCharge.objects.get(merchant_reference=payment.trade_no)
    provider.charge_complete(charge_id=charge.pk, approve=approve)
    deliver(client)
