"""A gift order is the sender's purchase: the recipient who accepted while logged in sees
it as a gift (no price, no refund request, the parcel's tracking), and the sender never
sees where it goes."""

import pytest
from django.test import Client

from gifting import services
from shop.orders import services as orders
from shop.orders.models import Order, OrderEvent, RefundRequest
from tests.factories import UserFactory
from tests.gifts import live_gift, recipient
from tests.orders import paid_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def friend():
    return UserFactory()


@pytest.fixture
def order(client, friend) -> Order:
    """A ¥123.45 gift from 小明, accepted by `friend` while logged in."""
    gift = live_gift(client, price="123.45", sender_name="小明")
    claim = services.gift_claim(gift=gift, recipient=recipient(), sku_id=None, user=friend)
    return claim.order


def browser(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_the_recipients_order_list_shows_the_gift_without_its_price(order, friend) -> None:
    html = browser(friend).get("/orders/").text
    assert order.number in html
    assert "A gift to you" in html
    assert "123.45" not in html


def test_the_recipients_order_page_says_who_it_is_from_and_shows_no_price(order, friend) -> None:
    html = browser(friend).get(f"/orders/{order.number}/").text
    assert "A gift from 小明" in html
    assert "123.45" not in html and "¥" not in html


def test_the_recipients_order_timeline_shows_no_amounts(order, friend) -> None:
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.REFUNDED, note="¥123.45")
    html = browser(friend).get(f"/orders/{order.number}/").text
    assert "Refunded" in html
    assert "123.45" not in html


def test_the_recipients_order_page_offers_no_refund_request(order, friend) -> None:
    html = browser(friend).get(f"/orders/{order.number}/").text
    assert "Ask for a refund" not in html
    assert f"/orders/{order.number}/refund/" not in html


def test_the_recipients_order_page_shows_the_tracking_once_shipped(order, friend) -> None:
    orders.order_ship(order=order, carrier="SF Express", tracking_number="SF1234567")
    html = browser(friend).get(f"/orders/{order.number}/").text
    assert "SF Express · SF1234567" in html


def test_a_posted_refund_request_for_a_gift_order_is_refused(order, friend) -> None:
    response = browser(friend).post(
        f"/orders/{order.number}/refund/", {"amount": "10.00", "reason": "不喜欢"}, follow=True
    )
    assert "its money can go back only to the sender" in response.text
    assert not RefundRequest.objects.exists()


def test_a_shoppers_own_order_still_shows_its_price_and_refund_request(client) -> None:
    own = paid_order(client)
    html = browser(own.user).get(f"/orders/{own.number}/").text
    assert "A gift from" not in html
    assert "¥100.00" in html
    assert "Ask for a refund" in html


def test_the_sender_cannot_open_the_recipients_order(order) -> None:
    sender = order.gift_claim.gift.sender
    assert browser(sender).get(f"/orders/{order.number}/").status_code == 404
    assert order.number not in browser(sender).get("/orders/").text


def test_the_gifts_received_page_links_to_the_order(order, friend) -> None:
    html = browser(friend).get("/gifts/received/").text
    assert f'href="/orders/{order.number}/"' in html
