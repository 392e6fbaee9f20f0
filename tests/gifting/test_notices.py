"""What the sender and the recipient are told, on each transition, in their language;
and the recipient's private tracking page."""

import pytest
from django.core import mail
from django.test import Client

from gifting import selectors, services
from shop.notices.backends import locmem
from shop.notices.models import Notice
from shop.orders import services as orders
from shop.payments import services as payments
from tests.factories import UserFactory
from tests.gifts import RECIPIENT, live_gift, recipient, send_notices

SUBJECTS = {
    ("gift_accepted", "en"): "was accepted",
    ("gift_accepted", "zh-hans"): "已被接受",
    ("gift_declined", "en"): "was declined",
    ("gift_declined", "zh-hans"): "被婉拒",
    ("gift_shipped", "en"): "has shipped",
    ("gift_shipped", "zh-hans"): "已发货",
    ("gift_delivered", "en"): "was delivered",
    ("gift_delivered", "zh-hans"): "已签收",
    ("gift_thanked", "en"): "thank-you note",
    ("gift_thanked", "zh-hans"): "感谢留言",
}


pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sms(settings) -> None:
    settings.SMS_BACKEND = "shop.notices.backends.locmem.LocmemSmsBackend"
    locmem.outbox.clear()


def accepted(client: Client, sender_language: str, **claim: object):
    sender = UserFactory(email="amy@example.com", language=sender_language)
    gift = live_gift(client, sender=sender)
    made = services.gift_claim(gift=gift, recipient=recipient(), sku_id=None, user=None, **claim)
    return gift, made


def sender_mail(kind: str, language: str) -> str:
    send_notices()
    [email] = [m for m in mail.outbox if SUBJECTS[kind, language] in m.subject]
    assert email.to == ["amy@example.com"]
    body = email.subject + email.body
    assert RECIPIENT.phone not in body and RECIPIENT.street not in body
    assert RECIPIENT.recipient_name not in body
    return body


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_sender_is_told_the_gift_was_accepted(client, language) -> None:
    accepted(client, language)
    sender_mail("gift_accepted", language)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_sender_is_told_the_gift_was_declined(client, language) -> None:
    gift = live_gift(client, sender=UserFactory(email="amy@example.com", language=language))
    services.gift_decline(gift=gift)
    sender_mail("gift_declined", language)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_sender_is_told_the_carrier_and_tracking_when_it_ships(client, language) -> None:
    _, made = accepted(client, language)
    orders.order_ship(order=made.order, carrier="SF Express", tracking_number="SF1234567890")
    body = sender_mail("gift_shipped", language)
    assert "SF Express" in body and "SF1234567890" in body


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_sender_is_told_when_it_was_delivered(client, language) -> None:
    _, made = accepted(client, language)
    orders.order_ship(order=made.order, carrier="SF", tracking_number="SF1")
    orders.order_mark_delivered(order=made.order)
    sender_mail("gift_delivered", language)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_sender_gets_the_thank_you_note(client, language) -> None:
    _, made = accepted(client, language)
    services.gift_thank(claim=made, thanks="谢谢你的咖啡！")
    assert "谢谢你的咖啡！" in sender_mail("gift_thanked", language)


def test_the_sender_is_told_the_gift_expired(client) -> None:
    gift = live_gift(client, sender=UserFactory(email="amy@example.com", language="en"))
    gift.__class__.objects.filter(pk=gift.pk).update(expires_at=gift.paid_at)
    assert services.gifts_expire_due() == 1
    send_notices()
    assert [m.subject for m in mail.outbox if "expired" in m.subject]


def test_a_recipient_who_agreed_is_texted_the_tracking_link_and_the_shipment(client) -> None:
    _, made = accepted(client, "zh-hans", sms_consent=True, language="en")
    orders.order_ship(order=made.order, carrier="SF Express", tracking_number="SF1234567890")
    send_notices()
    tracking, shipped = locmem.outbox
    assert tracking.phone == shipped.phone == RECIPIENT.phone
    assert selectors.tracking_url(made) in tracking.text
    assert tracking.text.startswith("You accepted")
    assert "SF1234567890" in shipped.text


def test_a_recipient_who_did_not_agree_is_not_texted(client) -> None:
    _, made = accepted(client, "en")
    orders.order_ship(order=made.order, carrier="SF", tracking_number="SF1")
    send_notices()
    assert locmem.outbox == []
    assert not Notice.objects.filter(channel=Notice.Channel.SMS).exists()


def test_the_tracking_link_shows_the_status_on_a_fresh_client_without_a_price(client) -> None:
    _, made = accepted(client, "en")
    orders.order_ship(order=made.order, carrier="SF Express", tracking_number="SF1234567890")
    url = selectors.tracking_url(made)
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(url[url.index("/t/") :])
    assert response.status_code == 200
    assert "SF1234567890" in response.text
    assert response["X-Robots-Tag"] == "noindex"
    assert '<meta name="robots" content="noindex">' in response.text
    assert "99.00" not in response.text and "¥" not in response.text
    assert RECIPIENT.street not in response.text


def test_a_bad_tracking_token_is_404() -> None:
    assert Client().get("/t/1.not-the-mac/").status_code == 404
    assert Client().get("/t/nothing/").status_code == 404


def test_a_gift_orders_refund_tells_the_sender_not_the_recipient(client, settings) -> None:
    recipient_user = UserFactory(email="li@example.com")
    gift = live_gift(client, sender=UserFactory(email="amy@example.com", language="en"))
    made = services.gift_claim(gift=gift, recipient=recipient(), sku_id=None, user=recipient_user)
    refund = payments.refund_create(
        payment=gift.payment,
        amount=gift.unit_price,
        subject=f"order:{made.order_id}",
        subject_limit=gift.unit_price,
        idempotency_key="after-sales-1",
        reason="broken",
    )
    payments.refund_execute(refund_id=refund.pk)
    send_notices()
    assert [m.to for m in mail.outbox if "refunded" in m.subject] == [["amy@example.com"]]
    assert not [m for m in mail.outbox if "li@example.com" in m.to]
