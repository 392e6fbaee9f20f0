"""Chip-in pages: the organiser starts one from the product page, friends pay a share
through the share link and the normal pay step, everyone follows the status page. Bad
input is a form error and moves no money; nobody sees anyone else's amount."""

import re

import pytest
from django.test import Client

from gifting.chipin import selectors
from gifting.models import ChipIn, Contribution
from shop.payments.models import Payment
from tests.chipins import chip_in_share, create_chip_in
from tests.factories import SkuFactory, UserFactory
from tests.gifts import link

pytestmark = pytest.mark.django_db


def browser(user: object | None = None, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def share_path(chip_in: ChipIn) -> str:
    return selectors.share_url(chip_in).removeprefix("http://testserver")


def test_the_product_page_offers_to_chip_in_with_friends() -> None:
    sku = SkuFactory()
    page = browser().get(f"/products/{sku.product_id}/").text
    assert f'href="/gifts/chip-in/{sku.product_id}/"' in page
    assert "Chip in with friends" in page


def test_the_organiser_starts_a_chip_in_and_is_shown_the_share_link() -> None:
    sku = SkuFactory()
    organiser = UserFactory()
    client = browser(organiser)
    response = client.post(
        f"/gifts/chip-in/{sku.product_id}/", {"sku": sku.pk, "sender_name": "小明", "message": ""}
    )
    chip_in = ChipIn.objects.get()
    assert response.url == f"/gifts/chip-ins/{chip_in.pk}/"
    page = client.get(response.url).text
    assert selectors.share_url(chip_in) in page
    assert "Cancel the chip-in and refund everyone" in page


def test_a_friend_pays_a_share_through_the_pay_step() -> None:
    chip_in = create_chip_in(price="300.00")
    response = browser(UserFactory()).post(
        share_path(chip_in), {"amount": "100", "display_name": "小红"}
    )
    contribution = Contribution.objects.get()
    assert contribution.amount == 100
    assert response.status_code == 302
    assert contribution.payment.provider_reference  # opened at the provider


def test_a_share_above_what_is_left_is_a_form_error_and_moves_no_money() -> None:
    chip_in = create_chip_in(price="300.00")
    page = browser(UserFactory()).post(
        share_path(chip_in), {"amount": "301", "display_name": "小红"}
    )
    assert page.status_code == 200
    assert "Only ¥300.00 is left to chip in." in page.text
    assert Payment.objects.count() == 0


def test_a_share_to_a_cancelled_chip_in_is_refused_on_the_page() -> None:
    chip_in = create_chip_in()
    organiser = chip_in.organiser
    browser(organiser).post(f"/gifts/chip-ins/{chip_in.pk}/cancel/")
    page = browser(UserFactory()).post(share_path(chip_in), {"amount": "50", "display_name": "x"})
    assert "Cancelled" in page.text
    assert "Pay my share" not in page.text
    assert Payment.objects.count() == 0


def test_signing_in_comes_before_paying_a_share() -> None:
    chip_in = create_chip_in()
    response = browser().post(share_path(chip_in), {"amount": "50", "display_name": "x"})
    assert response.status_code == 302
    assert response.url.startswith("/account/login/?next=/chip-in/")
    assert Contribution.objects.count() == 0


def test_a_contributor_sees_the_others_names_but_not_their_amounts(client) -> None:
    chip_in = create_chip_in(price="300.00")
    chip_in_share(client, chip_in, "123.45", name="小红")
    friend = UserFactory()
    page = browser(friend).get(share_path(chip_in)).text
    assert "小红" in page
    assert "123.45" not in page
    assert "41% funded" in page


def test_a_stranger_cannot_open_a_chip_ins_status_page() -> None:
    chip_in = create_chip_in()
    assert browser(UserFactory()).get(f"/gifts/chip-ins/{chip_in.pk}/").status_code == 404


def test_a_wrong_share_link_is_not_found() -> None:
    assert browser().get("/chip-in/not-a-token/").status_code == 404


def test_the_funded_organiser_gets_the_gift_link(client) -> None:
    chip_in = create_chip_in(price="100.00")
    chip_in_share(client, chip_in, "100")
    page = browser(chip_in.organiser).get(f"/gifts/chip-ins/{chip_in.pk}/").text
    assert f'href="/gifts/sent/{chip_in.gift_id}/"' in page
    gift_page = browser(chip_in.organiser).get(f"/gifts/sent/{chip_in.gift_id}/").text
    assert link(chip_in.gift) in gift_page


def test_the_recipient_sees_who_chipped_in(client) -> None:
    chip_in = create_chip_in(price="100.00", sender_name="小明")
    chip_in_share(client, chip_in, "50", name="小红")
    chip_in_share(client, chip_in, "50", name="小刚")
    page = browser().get(link(chip_in.gift)).text
    assert "Chipped in together, from 小明, 小红 and 1 friend" in page


def test_the_share_page_speaks_chinese(client) -> None:
    chip_in = create_chip_in(price="300.00", sender_name="小明")
    chip_in_share(client, chip_in, "100", name="小红")
    page = browser(UserFactory(), language="zh-hans").get(share_path(chip_in)).text
    assert "小明 邀请你一起送一份礼物" in page
    assert "已筹 33%" in page
    assert "支付我的份额" in page


def test_the_organiser_covers_the_rest_from_the_status_page(client) -> None:
    organiser = UserFactory()
    chip_in = create_chip_in(price="100.00", organiser=organiser)
    chip_in_share(client, chip_in, "33.33")
    status = browser(organiser).get(f"/gifts/chip-ins/{chip_in.pk}/").text
    rest = re.search(r'href="([^"]+)">Cover the rest myself', status)[1]
    page = browser(organiser).get(rest.replace("&amp;", "&").removeprefix("http://testserver"))
    assert 'value="66.67"' in page.text
    assert "Pay my share" in page.text
