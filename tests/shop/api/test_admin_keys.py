"""Operators issue keys in the admin (shown once), revoke them, and top up balances."""

import re
from decimal import Decimal

import pytest
from django.test import Client

from shop.partners.models import ApiKey, BalanceEntry, Partner
from tests.factories import UserFactory
from tests.partners import Api, api_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(db: None) -> Client:
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(UserFactory(is_staff=True, is_superuser=True))
    return browser


def test_an_operator_issues_a_key_that_is_shown_once_and_works(operator_client, client) -> None:
    partner = Partner.objects.create(name="Acme Gifts")
    response = operator_client.post(
        "/admin/partners/partner/",
        {"action": "issue_key", "_selected_action": [partner.pk]},
    )
    assert response.status_code == 200
    [key] = re.findall(r"<code>(gsk_[^<]+)</code>", response.text)
    assert Api(client, key).get("/api/v1/balance/").status_code == 200
    stored = ApiKey.objects.get(partner=partner)
    change = operator_client.get(f"/admin/partners/partner/{partner.pk}/change/")
    assert change.status_code == 200
    assert key not in change.text
    assert stored.prefix in change.text


def test_an_operator_revokes_a_key_and_it_stops_working(operator_client, client) -> None:
    partner, api = api_for(client, "Acme Gifts")
    assert api.get("/api/v1/balance/").status_code == 200
    key = ApiKey.objects.get(partner=partner)
    response = operator_client.post(
        "/admin/partners/apikey/", {"action": "revoke", "_selected_action": [key.pk]}
    )
    assert response.status_code == 302
    assert api.get("/api/v1/balance/").status_code == 401


def test_an_operator_tops_up_a_balance_once_per_reference(operator_client, client) -> None:
    partner, api = api_for(client, "Acme Gifts")
    url = f"/admin/partners/partner/{partner.pk}/top-up/"
    data = {"amount": "250.00", "reference": "BANK-1", "note": "wire"}
    assert operator_client.post(url, data).status_code == 302
    assert operator_client.post(url, data).status_code == 302
    partner.refresh_from_db()
    assert partner.balance == Decimal("250.00")
    assert BalanceEntry.objects.filter(partner=partner).count() == 1
    assert api.get("/api/v1/balance/").json()["available"]["value"] == "250.00"
