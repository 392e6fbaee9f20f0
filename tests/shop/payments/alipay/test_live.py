"""The whole path over real HTTP: the emulator POSTs its notification to the shop's notify
view on a live server, which verifies it with the adapter and marks the payment paid."""

import time

import pytest
from django.urls import reverse

from shop.payments.models import Payment

from .flows import pending_payment, start


def _status_when_settled(payment: Payment) -> str:
    """The payment's status once it has left pending, waiting up to 10 s for the delivery."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        payment.refresh_from_db()
        if payment.status != Payment.Status.PENDING:
            return payment.status
        time.sleep(0.05)
    return payment.status


@pytest.mark.django_db(transaction=True)
def test_the_emulators_notification_reaches_the_notify_view_and_marks_paid(
    alipay_gateway, live_server
):
    gateway, control = alipay_gateway
    payment = pending_payment()
    redirect_url = start(
        gateway,
        payment,
        notify_url=live_server.url + reverse("payments:notify", args=[gateway.name]),
    )

    control.act(redirect_url, "confirm")

    assert _status_when_settled(payment) == Payment.Status.SUCCEEDED
