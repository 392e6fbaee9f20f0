"""How a recipient's browser finds the gift it accepted: a signed cookie of claim ids for a
visitor, the account for someone logged in; never a database session."""

import pytest
from django.contrib.sessions.models import Session
from django.core import signing
from django.test import Client

from gifting import visitors
from gifting.models import GiftClaim
from tests.factories import UserFactory
from tests.gifts import CLAIM_FORM, link, live_gift

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def accept(browser: Client, client: Client) -> GiftClaim:
    gift = live_gift(client)
    assert browser.post(link(gift), CLAIM_FORM).status_code == 302
    return GiftClaim.objects.select_related("gift").get(gift=gift)


def test_the_browser_that_accepted_sees_its_claim(browser, client) -> None:
    claim = accept(browser, client)
    page = browser.get(link(claim.gift))
    assert page.context["mine"] == [claim]
    assert "You accepted this gift" in page.text


def test_accepting_as_a_visitor_writes_no_session(browser, client) -> None:
    gift = live_gift(client)
    sessions = Session.objects.count()
    assert browser.post(link(gift), CLAIM_FORM, follow=True).context["mine"]
    assert Session.objects.count() == sessions
    assert visitors.COOKIE in browser.cookies


def test_another_browser_does_not_see_the_claim(browser, client) -> None:
    claim = accept(browser, client)
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(link(claim.gift))
    assert page.context["mine"] == []
    assert claim.recipient_name not in page.text


def test_a_cookie_signed_by_anyone_else_remembers_nothing(browser, client) -> None:
    claim = accept(browser, client)
    forged = signing.dumps(
        {str(claim.gift_id): [claim.pk]}, key="not-the-site-key", salt="gifting.visitors"
    )
    stranger = Client(HTTP_ACCEPT_LANGUAGE="en")
    stranger.cookies[visitors.COOKIE] = forged
    page = stranger.get(link(claim.gift))
    assert page.status_code == 200
    assert page.context["mine"] == []


def test_a_remembered_id_of_another_gifts_claim_shows_nothing(browser, client) -> None:
    mine = accept(browser, client)
    other = accept(Client(), client)
    browser.cookies[visitors.COOKIE] = signing.dumps(
        {str(mine.gift_id): [other.pk]}, salt="gifting.visitors", compress=True
    )
    assert browser.get(link(mine.gift)).context["mine"] == []


def test_an_account_finds_its_claim_without_a_cookie(client) -> None:
    account = Client(HTTP_ACCEPT_LANGUAGE="en")
    account.force_login(UserFactory())
    claim = accept(account, client)
    assert visitors.COOKIE not in account.cookies
    assert account.get(link(claim.gift)).context["mine"] == [claim]


def test_a_browser_remembers_only_its_newest_gifts(browser, client, monkeypatch) -> None:
    monkeypatch.setattr(visitors, "_GIFTS_KEPT", 2)
    first, second, third = (accept(browser, client) for _ in range(3))
    assert browser.get(link(first.gift)).context["mine"] == []
    assert browser.get(link(second.gift)).context["mine"] == [second]
    assert browser.get(link(third.gift)).context["mine"] == [third]
