"""Merchants answer their recipients' changes in the admin, and only their own; the
shipping page says why an order with a pending change does not ship."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from gifting import changes
from shop.orders.models import ChangeRequest, Order
from tests.changes import NEW_ADDRESS, accepted_claim, other_variant
from tests.merchants.adminforms import action, messages_of
from tests.merchants.world import merchant_user

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:orders_changerequest_changelist")


@pytest.fixture
def request_(client: Client) -> ChangeRequest:
    claim = accepted_claim(client)
    with translation.override("en"):
        return changes.variant_change_request(
            claim=claim, sku_id=other_variant(claim, price="79.00").pk
        )


def staff_of(merchant: object) -> Client:
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(merchant_user(merchant))
    return browser


def test_the_merchant_approves_a_change_in_the_admin(request_) -> None:
    staff = staff_of(request_.order.merchant)
    action(staff, CHANGELIST, "approve", [request_.pk])
    request_.refresh_from_db()
    assert request_.status == ChangeRequest.Status.APPROVED


def test_the_merchant_rejects_a_change_in_the_admin(request_) -> None:
    staff = staff_of(request_.order.merchant)
    action(staff, CHANGELIST, "reject", [request_.pk])
    request_.refresh_from_db()
    assert request_.status == ChangeRequest.Status.REJECTED


def test_another_merchant_neither_sees_nor_answers_the_change(client, request_) -> None:
    other = accepted_claim(client).order.merchant
    staff = staff_of(other)
    assert str(request_.order.number) not in staff.get(CHANGELIST).content.decode()
    action(staff, CHANGELIST, "approve", [request_.pk])
    request_.refresh_from_db()
    assert request_.status == ChangeRequest.Status.PENDING


def test_shipping_in_the_admin_with_a_pending_change_shows_why_and_ships_nothing(request_) -> None:
    staff = staff_of(request_.order.merchant)
    url = reverse("admin:orders_order_shipping", args=[request_.order_id])
    page = staff.get(url).content.decode()
    assert 'id="change-pending"' in page
    response = staff.post(url, {"carrier": "SF", "tracking_number": "SF1"}, follow=True)
    assert any("before shipping" in m for m in messages_of(response))
    assert Order.objects.get(pk=request_.order_id).status == Order.Status.PAID


def test_the_change_list_shows_addresses_masked(client) -> None:
    claim = accepted_claim(client)
    with translation.override("en"):
        changes.address_change_request(claim=claim, address=NEW_ADDRESS)
    page = staff_of(claim.order.merchant).get(CHANGELIST).content.decode()
    assert "王**" in page and "137****1111" in page
    assert NEW_ADDRESS["street"] not in page and NEW_ADDRESS["phone"] not in page
