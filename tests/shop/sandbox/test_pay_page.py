import pytest
from django.urls import reverse

from shop.sandbox.models import SandboxCharge, SandboxNotification
from tests.orders import place_order

pytestmark = pytest.mark.django_db


def test_the_hosted_page_shows_the_amount_and_both_choices(client) -> None:
    payment, _ = place_order(price="88.00")
    charge = SandboxCharge.objects.get(merchant_reference=payment.reference)
    response = client.get(reverse("sandbox:pay", args=[charge.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "¥88.00" in response.text
    assert "Confirm payment" in response.text and "Decline" in response.text


def test_confirming_returns_the_shopper_and_queues_a_notification(client) -> None:
    payment, _ = place_order()
    charge = SandboxCharge.objects.get(merchant_reference=payment.reference)
    response = client.post(reverse("sandbox:complete", args=[charge.pk]), {"action": "pay"})
    assert response.url == charge.return_url
    assert SandboxCharge.objects.get(pk=charge.pk).status == SandboxCharge.Status.SUCCEEDED
    assert '"payment.succeeded"' in SandboxNotification.objects.get().body


def test_a_completed_charge_cannot_be_completed_again(client) -> None:
    payment, _ = place_order()
    charge = SandboxCharge.objects.get(merchant_reference=payment.reference)
    client.post(reverse("sandbox:complete", args=[charge.pk]), {"action": "decline"})
    client.post(reverse("sandbox:complete", args=[charge.pk]), {"action": "pay"})
    assert SandboxCharge.objects.get(pk=charge.pk).status == SandboxCharge.Status.DECLINED
    assert SandboxNotification.objects.count() == 1


def test_an_unknown_charge_is_a_404(client) -> None:
    assert client.get(reverse("sandbox:pay", args=["ch_nope"])).status_code == 404
