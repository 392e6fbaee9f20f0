"""A recipient's thank-you note: at most 100 characters of plain text, once, by whoever
accepted; the sender sees it on the gift's timeline, a partner in the API and a webhook.

"Nothing changed" means: the claim has no note and no time, and the gift no thanked event.
"""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from gifting import services
from gifting.models import THANKS_MAX_LENGTH, GiftClaim, GiftEvent
from shop.partners import services as partners
from shop.partners.models import WebhookEvent
from tests.factories import SkuFactory
from tests.gifts import CLAIM_FORM, link, live_gift, recipient
from tests.partners import Api, partner_with_key

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english():
    """Service errors are read in English, whatever a previous request left active."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def recipient_browser() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def claim(client, recipient_browser) -> GiftClaim:
    """A gift accepted in `recipient_browser` (its session knows the claim)."""
    gift = live_gift(client, sender_name="小明")
    assert recipient_browser.post(link(gift), CLAIM_FORM).status_code == 302
    return GiftClaim.objects.select_related("gift").get(gift=gift)


def nothing_changed(claim: GiftClaim) -> bool:
    claim.refresh_from_db()
    thanked = GiftEvent.objects.filter(gift=claim.gift, kind=GiftEvent.Kind.THANKED).exists()
    return claim.thanks == "" and claim.thanked_at is None and not thanked


def thank(browser: Client, mine: GiftClaim, text: str, **extra: object):
    """Post a note on `mine`'s claim page (`extra` may name another claim)."""
    form = {"action": "thank", "claim": mine.pk, "thanks": text, **extra}
    return browser.post(link(mine.gift), form, follow=True)


# --- The service ------------------------------------------------------------------------


def test_a_thank_you_note_is_kept_on_the_claim_with_its_time(claim) -> None:
    services.gift_thank(claim=claim, thanks="谢谢你，太喜欢了！")
    claim.refresh_from_db()
    assert claim.thanks == "谢谢你，太喜欢了！"
    assert claim.thanked_at is not None


def test_a_thank_you_note_goes_on_the_gifts_timeline(claim) -> None:
    services.gift_thank(claim=claim, thanks="谢谢！")
    event = GiftEvent.objects.get(gift=claim.gift, kind=GiftEvent.Kind.THANKED)
    assert event.note == "谢谢！"


def test_a_note_of_exactly_100_characters_is_taken(claim) -> None:
    services.gift_thank(claim=claim, thanks="谢" * THANKS_MAX_LENGTH)
    claim.refresh_from_db()
    assert len(claim.thanks) == THANKS_MAX_LENGTH


def test_a_note_over_100_characters_is_refused_and_changes_nothing(claim) -> None:
    with pytest.raises(services.GiftError, match="at most 100 characters"):
        services.gift_thank(claim=claim, thanks="谢" * (THANKS_MAX_LENGTH + 1))
    assert nothing_changed(claim)


def test_control_characters_are_taken_out_of_a_note(claim) -> None:
    services.gift_thank(claim=claim, thanks="谢\x00谢\x1b[31m你\x7f")
    claim.refresh_from_db()
    assert claim.thanks == "谢谢[31m你"


def test_a_note_of_only_control_characters_is_refused_and_changes_nothing(claim) -> None:
    with pytest.raises(services.GiftError, match="Write a few words of thanks"):
        services.gift_thank(claim=claim, thanks="\x00\x07 \x1f")
    assert nothing_changed(claim)


def test_a_second_note_is_refused_and_the_first_stays(claim) -> None:
    services.gift_thank(claim=claim, thanks="谢谢！")
    with pytest.raises(services.GiftError, match="already sent your thanks"):
        services.gift_thank(claim=claim, thanks="再次感谢")
    claim.refresh_from_db()
    assert claim.thanks == "谢谢！"
    assert GiftEvent.objects.filter(gift=claim.gift, kind=GiftEvent.Kind.THANKED).count() == 1


# --- The claim page -------------------------------------------------------------------------


def test_the_recipient_thanks_from_the_claim_page(claim, recipient_browser) -> None:
    response = thank(recipient_browser, claim, "谢谢小明！")
    assert "Thank you! The sender will see your note." in response.text
    assert "谢谢小明！" in response.text
    claim.refresh_from_db()
    assert claim.thanks == "谢谢小明！"


def test_the_page_offers_no_second_note_once_thanked(claim, recipient_browser) -> None:
    thank(recipient_browser, claim, "谢谢！")
    html = recipient_browser.get(link(claim.gift)).text
    assert 'value="thank"' not in html


def test_a_too_long_note_on_the_page_is_refused_and_keeps_what_was_typed(
    claim, recipient_browser
) -> None:
    typed = "谢" * (THANKS_MAX_LENGTH + 1)
    response = thank(recipient_browser, claim, typed)
    assert 'id="id_thanks_error"' in response.text
    assert re.search(rf">\s*{typed}</textarea>", response.text)
    assert nothing_changed(claim)


def test_someone_else_with_the_link_cannot_thank(claim) -> None:
    response = thank(Client(HTTP_ACCEPT_LANGUAGE="en"), claim, "谢谢")
    assert "Only the person who accepted this gift can send thanks." in response.text
    assert nothing_changed(claim)


def test_without_the_claim_token_nobody_can_thank(claim, recipient_browser) -> None:
    form = {"action": "thank", "claim": claim.pk, "thanks": "谢谢"}
    response = recipient_browser.post("/g/not-the-token/", form)
    assert response.status_code == 404
    assert nothing_changed(claim)


def test_a_note_naming_another_claim_is_refused(claim, recipient_browser, client) -> None:
    other = live_gift(client)
    other_claim = services.gift_claim(gift=other, recipient=recipient(), sku_id=None, user=None)
    response = thank(recipient_browser, claim, "谢谢", claim=other_claim.pk)
    assert "Only the person who accepted this gift can send thanks." in response.text
    assert nothing_changed(claim) and nothing_changed(other_claim)


def test_the_sender_sees_the_note_on_the_gifts_timeline(claim, recipient_browser) -> None:
    thank(recipient_browser, claim, "谢谢小明！")
    sender = Client(HTTP_ACCEPT_LANGUAGE="en")
    sender.force_login(claim.gift.sender)
    html = sender.get(f"/gifts/sent/{claim.gift.pk}/").text
    assert '<q class="gift-thanks">谢谢小明！</q>' in html


# --- Partners: the API and the webhook -----------------------------------------------------------


@pytest.fixture
def partner_claim(client):
    partner, key = partner_with_key("Brand", balance="1000.00")
    gift = partners.partner_gift_send(
        partner=partner,
        sku_id=SkuFactory(price="10.00", stock=5).pk,
        quantity=1,
        message="",
        sender_name="品牌",
        allow_variant_choice=False,
    )
    claim = services.gift_claim(gift=gift, recipient=recipient(), sku_id=None, user=None)
    return partner, Api(client, key), claim


def test_a_note_on_a_partners_gift_is_reported_as_gift_thanked(partner_claim) -> None:
    partner, _, claim = partner_claim
    services.gift_thank(claim=claim, thanks="谢谢品牌！")
    event = WebhookEvent.objects.get(partner=partner, type="gift.thanked")
    assert (event.data["timeline"][-1]["type"], event.data["timeline"][-1]["note"]) == (
        "thanked",
        "谢谢品牌！",
    )


def test_the_webhook_body_is_what_the_api_answers(partner_claim) -> None:
    partner, api, claim = partner_claim
    services.gift_thank(claim=claim, thanks="谢谢品牌！")
    event = WebhookEvent.objects.get(partner=partner, type="gift.thanked")
    answer = api.get(f"/api/v1/gifts/gift_{claim.gift_id}/")
    assert answer.status_code == 200
    assert answer.json() == event.data


def test_a_refused_note_reports_nothing(partner_claim) -> None:
    partner, _, claim = partner_claim
    with pytest.raises(services.GiftError):
        services.gift_thank(claim=claim, thanks="")
    assert not WebhookEvent.objects.filter(partner=partner, type="gift.thanked").exists()
