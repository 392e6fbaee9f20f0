"""The recipient asks for changes on the claim page (the browser that accepted) and on the
gift order's page (the account that accepted); forms keep what was typed and show errors."""

from decimal import Decimal

import pytest
from django.test import Client

from gifting.models import GiftClaim
from shop.orders.models import ChangeRequest
from tests.changes import NEW_ADDRESS, other_variant
from tests.factories import SkuFactory, UserFactory
from tests.gifts import CLAIM_FORM, link, live_gift

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def claim(client, browser) -> GiftClaim:
    """Accepted in `browser`; the product has a cheaper variant."""
    sku = SkuFactory(price=Decimal("99.00"), stock=10)
    gift = live_gift(client, sku=sku)
    assert browser.post(link(gift), CLAIM_FORM).status_code == 302
    claim = GiftClaim.objects.select_related("gift", "order", "sku").get(gift=gift)
    other_variant(claim, price="79.00")
    return claim


def _address_form(**changes: str) -> dict:
    form = {f"change-{k}": v for k, v in {**NEW_ADDRESS, **changes}.items()}
    return {"action": "change_address", **form}


def test_the_claim_page_offers_the_changes_after_accepting(browser, claim) -> None:
    page = browser.get(link(claim.gift)).content.decode()
    assert 'id="gift-changes"' in page
    assert "Choose another variant" in page and "Send it to another address" in page


def test_another_browser_is_not_offered_the_changes(claim) -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(link(claim.gift)).content.decode()
    assert 'id="gift-changes"' not in page


def test_a_variant_change_is_asked_for_on_the_claim_page(browser, claim) -> None:
    cheaper = claim.sku.product.skus.exclude(pk=claim.sku_id).get()
    response = browser.post(
        link(claim.gift), {"action": "change_variant", "claim": claim.pk, "sku": cheaper.pk}
    )
    assert response.status_code == 302
    assert ChangeRequest.objects.get().new_sku_id == cheaper.pk
    page = browser.get(link(claim.gift)).content.decode()
    assert 'id="change-pending"' in page


def test_an_address_change_is_asked_for_on_the_claim_page(browser, claim) -> None:
    response = browser.post(link(claim.gift), {**_address_form(), "claim": claim.pk})
    assert response.status_code == 302
    assert ChangeRequest.objects.get().new_address["street"] == NEW_ADDRESS["street"]


def test_a_bad_address_keeps_what_was_typed_and_shows_the_error(browser, claim) -> None:
    response = browser.post(link(claim.gift), {**_address_form(phone="12345"), "claim": claim.pk})
    assert response.status_code == 200
    page = response.content.decode()
    assert "field--error" in page
    assert NEW_ADDRESS["street"] in page
    assert not ChangeRequest.objects.exists()


def test_a_refused_change_shows_the_reason_on_the_form(browser, claim) -> None:
    same = {f"change-{f}": getattr(claim.order, f) for f in NEW_ADDRESS}
    response = browser.post(
        link(claim.gift), {"action": "change_address", "claim": claim.pk, **same}
    )
    assert response.status_code == 200
    assert "already where the parcel goes" in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_a_change_posted_for_someone_elses_claim_changes_nothing(claim) -> None:
    stranger = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = stranger.post(link(claim.gift), {**_address_form(), "claim": claim.pk})
    assert response.status_code in (200, 302)
    assert not ChangeRequest.objects.exists()


def test_the_gift_order_page_offers_and_takes_an_address_change(client) -> None:
    recipient = UserFactory()
    account = Client(HTTP_ACCEPT_LANGUAGE="en")
    account.force_login(recipient)
    gift = live_gift(client)
    assert account.post(link(gift), CLAIM_FORM).status_code == 302
    order = GiftClaim.objects.get(gift=gift).order
    url = f"/orders/{order.number}/"
    assert 'id="gift-changes"' in account.get(url).content.decode()
    assert account.post(url, _address_form()).status_code == 302
    assert ChangeRequest.objects.get().order_id == order.pk
