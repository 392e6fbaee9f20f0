"""The sender never learns where the recipient lives or their phone number.

After two friends claim a group gift, every page and email the sender can get is checked
for the recipients' street, district, postcode, phone (in any format, masked too) and full
name. Only a masked name and the city may show.
"""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client

from gifting import services
from gifting.models import Gift, GiftClaim
from shop.payments import services as payments
from shop.payments.models import Refund
from tests.factories import SkuFactory, UserFactory
from tests.gifts import create_gift, link, send_notices
from tests.sandbox import pay

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    """Users log in with force_login: their password hash need not be slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


RECIPIENTS = [
    {
        "recipient_name": "李小红",
        "phone": "139 1234 5678",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "street": "文三路 478 号 2 单元 301",
        "postcode": "310012",
        "action": "accept",
    },
    {
        "recipient_name": "欧阳娜娜",
        "phone": "+86 158-0000-1111",
        "province": "上海市",
        "city": "上海市",
        "district": "徐汇区",
        "street": "漕溪北路 88 号",
        "postcode": "",
        "action": "accept",
    },
]
PHONES = ["13912345678", "15800001111"]
ALLOWED = ["李**", "欧***", "杭州市", "上海市"]
# Any mainland mobile number, written with spaces, dashes or a +86, or masked with *.
ANY_MOBILE = re.compile(r"(?<![\w*])(?:\+?86[\s-]?)?1[3-9]\d[\s-]?(?:\d{4}|\*{4})[\s-]?\d{4}(?!\d)")


def secrets_in(text: str) -> list[str]:
    """The recipients' private details found in `text`."""
    found = []
    for recipient in RECIPIENTS:
        name = recipient["recipient_name"]
        for secret in (name, name[1:], recipient["district"], recipient["street"]):
            if secret in text:
                found.append(secret)
        if recipient["postcode"] and recipient["postcode"] in text:
            found.append(recipient["postcode"])
    digits = re.sub(r"[\s\-+*]", "", text)
    found += [phone for phone in PHONES if phone in digits]
    found += [p for p in PHONES if re.search(rf"\*[\s-]?{p[-4:]}(?!\d)|{p[:3]}[\s-]?\*", text)]
    found += ANY_MOBILE.findall(text)
    return found


@pytest.fixture
def sender():
    return UserFactory(name="王大明", email="wang@example.com", language="en")


@pytest.fixture
def claimed(client, sender) -> Gift:
    """A ¥80 × 3 group gift, paid, two units claimed by anonymous friends through the link."""
    gift = create_gift(
        sku=SkuFactory(price=Decimal("80.00"), stock=10),
        quantity=3,
        sender=sender,
        sender_name="小明",
        language="en",
    )
    pay(client, gift.payment)
    for n, form in enumerate(RECIPIENTS):
        friend = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=f"10.0.0.{n + 1}")
        assert friend.post(link(gift), form).status_code == 302
    gift.refresh_from_db()
    assert (gift.status, gift.units_claimed) == (Gift.Status.AWAITING_RECIPIENT, 2)
    assert GiftClaim.objects.filter(gift=gift).count() == 2
    return gift


@pytest.fixture
def as_sender(sender) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(sender)
    return client


def test_the_secret_finder_finds_each_kind_of_detail() -> None:
    """The checks below are only as good as this finder."""
    assert secrets_in("文三路 478 号 2 单元 301") == ["文三路 478 号 2 单元 301"]
    assert secrets_in("小红") == ["小红"]
    for phone in ("13912345678", "139 1234 5678", "139-1234-5678", "+86 139 1234 5678"):
        assert secrets_in(f"tel {phone}."), phone
    assert secrets_in("139****5678")
    assert secrets_in("158 **** 1111")
    assert secrets_in("尾号 ****5678")
    assert secrets_in("139****")
    assert secrets_in("李** · 杭州市 · 欧*** · 上海市 · ¥80.00 · 2026-11-25 08:33") == []


def test_the_sent_list_shows_no_recipient_details(claimed, as_sender) -> None:
    response = as_sender.get("/gifts/sent/")
    assert response.status_code == 200
    assert secrets_in(response.text) == []


def test_the_sent_gift_page_shows_only_masked_names_and_cities(claimed, as_sender) -> None:
    response = as_sender.get(f"/gifts/sent/{claimed.pk}/")
    assert response.status_code == 200
    for allowed in ALLOWED:
        assert allowed in response.text
    assert secrets_in(response.text) == []


def test_the_claim_page_opened_by_the_sender_shows_no_recipient_details(claimed, as_sender) -> None:
    response = as_sender.get(link(claimed))
    assert "This is the gift you sent." in response.text
    assert secrets_in(response.text) == []


def test_the_senders_orders_and_received_gifts_show_no_recipient_details(
    claimed, as_sender
) -> None:
    for url in ("/orders/", "/gifts/received/", "/account/"):
        response = as_sender.get(url)
        assert response.status_code == 200, url
        assert secrets_in(response.text) == [], url


def test_the_senders_payment_page_does_not_list_the_recipients_orders(claimed, as_sender) -> None:
    response = as_sender.get(f"/orders/payment/{claimed.payment.reference}/")
    assert response.status_code == 404
    assert secrets_in(response.text) == []


def test_the_reminder_email_shows_no_recipient_details(claimed, settings) -> None:
    settings.GIFT_REMINDER_BEFORE_SECONDS = 10**6  # the gift is now "about to expire"
    assert services.gifts_send_reminders() == 1
    send_notices()
    [email] = [m for m in mail.outbox if "not been accepted" in m.subject]
    assert email.to == ["wang@example.com"]
    assert link(claimed) in email.body
    assert secrets_in(email.subject + email.body) == []


def test_the_refund_email_shows_no_recipient_details(claimed) -> None:
    services.gift_cancel(gift=claimed)  # the third, unclaimed unit comes back
    refund = Refund.objects.get(payment=claimed.payment)
    assert refund.amount == Decimal("80.00")
    payments.refund_execute(refund_id=refund.pk)
    send_notices()
    [email] = [m for m in mail.outbox if "refunded" in m.subject]
    assert email.to == ["wang@example.com"]
    assert "80.00" in email.subject
    assert secrets_in(email.subject + email.body) == []


def test_the_sent_gift_page_after_the_refund_shows_no_recipient_details(claimed, as_sender) -> None:
    services.gift_cancel(gift=claimed)
    payments.refund_execute(refund_id=Refund.objects.get().pk)
    response = as_sender.get(f"/gifts/sent/{claimed.pk}/")
    assert "Refunded" in response.text
    assert "李**" in response.text
    assert secrets_in(response.text) == []


def test_every_email_the_sender_got_in_the_whole_story_is_free_of_recipient_details(
    claimed, settings
) -> None:
    settings.GIFT_REMINDER_BEFORE_SECONDS = 10**6
    services.gifts_send_reminders()
    send_notices()
    services.gift_cancel(gift=claimed)
    refund = Refund.objects.get()
    payments.refund_execute(refund_id=refund.pk)
    send_notices()
    to_sender = [m for m in mail.outbox if "wang@example.com" in m.to]
    assert len(to_sender) == 4  # two accepted, the reminder, the refund
    for email in to_sender:
        assert secrets_in(email.subject + email.body) == [], email.subject
