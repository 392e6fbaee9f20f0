"""The sender's gift page is where the provider sends them back after paying: it refreshes
itself until the payment notification arrives, then shows the share link."""

import pytest
from django.test import Client

from tests import sandbox
from tests.gifts import create_gift, link

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def gift():
    """A gift the sender has just paid for; the notification has not arrived."""
    return create_gift()


@pytest.fixture
def sender(gift) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(gift.sender)
    return client


def test_while_the_payment_is_pending_the_page_refreshes_itself(gift, sender) -> None:
    page = sender.get(f"/gifts/sent/{gift.pk}/")
    expected = f'<meta http-equiv="refresh" content="2;url=/gifts/sent/{gift.pk}/?waited=1">'
    assert expected in page.text
    assert "Waiting for the payment confirmation…" in page.text
    assert 'id="claim-link"' not in page.text


def test_once_paid_the_page_stops_refreshing_and_shows_the_share_link(client, gift, sender) -> None:
    sandbox.pay(client, gift.payment)
    page = sender.get(f"/gifts/sent/{gift.pk}/?waited=4")
    assert 'http-equiv="refresh"' not in page.text
    assert 'id="claim-link"' in page.text and link(gift) in page.text
    assert "Waiting for the payment confirmation…" not in page.text


def test_after_the_bounded_wait_the_page_says_it_is_still_waiting(settings, gift, sender) -> None:
    settings.PAYMENT_RETURN_WAIT_SECONDS = 10  # 5 refreshes
    page = sender.get(f"/gifts/sent/{gift.pk}/?waited=5")
    assert 'http-equiv="refresh"' not in page.text
    assert "Still waiting for the payment confirmation" in page.text
    assert f'<a href="/gifts/sent/{gift.pk}/">Reload this page</a>' in page.text
    assert f"quoting payment {gift.payment.reference}" in page.text
    assert "Pay now" in page.text


def test_a_declined_payment_is_not_refreshed(client, gift, sender) -> None:
    sandbox.pay(client, gift.payment, approve=False)
    page = sender.get(f"/gifts/sent/{gift.pk}/")
    assert "The payment did not go through." in page.text
    assert 'http-equiv="refresh"' not in page.text
