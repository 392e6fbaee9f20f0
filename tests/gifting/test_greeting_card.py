"""A shop's greeting-card switch, as the sender sees it on the send page."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import MerchantFactory, ProductFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db

CARD_NOTE = "The shop puts a printed greeting card with your name and message in the box."


def send_page(*, includes_greeting_card: bool) -> str:
    merchant = MerchantFactory(includes_greeting_card=includes_greeting_card)
    product = ProductFactory(merchant=merchant)
    SkuFactory(product=product)
    sender = Client(HTTP_ACCEPT_LANGUAGE="en")
    sender.force_login(UserFactory())
    page = sender.get(reverse("gifting:send", args=[product.pk]))
    assert page.status_code == 200
    return page.text


def test_the_send_page_says_a_card_goes_in_the_box_for_a_shop_that_includes_one() -> None:
    assert CARD_NOTE in send_page(includes_greeting_card=True)


def test_the_send_page_promises_no_card_for_a_shop_that_includes_none() -> None:
    assert CARD_NOTE not in send_page(includes_greeting_card=False)
