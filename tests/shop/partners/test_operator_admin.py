"""Operators run partners from the admin: keys shown once, top-ups once, deliveries."""

import pytest
from django.test import Client
from django.urls import reverse

from shop.partners import services
from shop.partners.models import Partner, WebhookDelivery
from shop.webhooks import outbox
from tests.factories import UserFactory
from tests.partners import partner_with_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client: Client) -> Client:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_a_top_up_form_refuses_a_negative_amount(operator_client) -> None:
    partner = Partner.objects.create(name="Brand")
    url = reverse("admin:partners_partner_top_up", args=[partner.pk])
    response = operator_client.post(url, {"amount": "-5", "reference": "BANK-8"})
    assert response.status_code == 200
    assert "amount" in response.context["form"].errors
    partner.refresh_from_db()
    assert partner.balance == 0


def test_the_endpoint_page_never_shows_the_signing_secret(operator_client) -> None:
    partner, _ = partner_with_key("Brand")
    endpoint = services.webhook_endpoint_create(
        partner=partner, url="https://127.0.0.1/hook", events=["gift.accepted"]
    )
    page = operator_client.get(reverse("admin:partners_webhookendpoint_change", args=[endpoint.pk]))
    assert page.status_code == 200
    assert endpoint.secret not in page.content.decode()


def test_send_again_makes_a_failed_delivery_due_now(operator_client) -> None:
    partner, _ = partner_with_key("Brand")
    services.webhook_endpoint_create(
        partner=partner, url="https://127.0.0.1/hook", events=["gift.accepted"]
    )
    (event,) = outbox.emit([(partner.pk, "gift.accepted", {"id": "gift_1"})])
    delivery = WebhookDelivery.objects.get(event=event)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED)
    operator_client.post(
        reverse("admin:partners_webhookdelivery_changelist"),
        {"action": "retry_now", "_selected_action": [delivery.pk]},
    )
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING


def test_merchant_staff_cannot_open_the_partner_admin(client) -> None:
    client.force_login(UserFactory(is_staff=True))
    response = client.get(reverse("admin:partners_partner_changelist"))
    assert response.status_code == 403
