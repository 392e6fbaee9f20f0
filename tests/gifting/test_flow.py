from decimal import Decimal

import pytest
from django.utils import timezone

from gifting import services
from gifting.models import Gift, GiftClaim
from shop.catalogue.models import StockRecord
from shop.orders.models import Order
from shop.payments import services as payments
from shop.payments.models import Refund
from tests.gifts import link, live_gift, recipient

pytestmark = pytest.mark.django_db

CLAIM_FORM = {
    "recipient_name": "李小红",
    "phone": "139 1234 5678",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "street": "文三路 1 号",
    "action": "accept",
}


def test_paying_makes_the_link_live_for_the_window(client, settings) -> None:
    settings.GIFT_ACCEPT_WINDOW_SECONDS = 3600
    gift = live_gift(client)
    assert 3590 < (gift.expires_at - gift.paid_at).total_seconds() <= 3600
    assert StockRecord.objects.get(sku=gift.sku).quantity == 49


def test_the_recipient_accepts_through_the_link_and_the_merchant_gets_an_order(client) -> None:
    gift = live_gift(client)
    response = client.post(link(gift), CLAIM_FORM, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "You accepted this gift" in response.text
    gift.refresh_from_db()
    assert gift.status == Gift.Status.ACCEPTED
    order = Order.objects.get(gift_claim__gift=gift)
    assert (order.status, order.phone, order.total) == (
        Order.Status.PAID,
        "13912345678",
        Decimal("99.00"),
    )
    assert order.merchant == gift.sku.product.merchant


def test_a_second_visitor_sees_the_gift_as_accepted_without_a_form(
    client, django_user_model
) -> None:
    gift = live_gift(client)
    client.post(link(gift), CLAIM_FORM)
    other = client.__class__()
    response = other.get(link(gift), HTTP_ACCEPT_LANGUAGE="en")
    assert "This gift has already been accepted." in response.text
    assert "Accept gift" not in response.text


def test_expiry_releases_stock_and_refunds_the_sender_once(client) -> None:
    gift = live_gift(client)
    Gift.objects.filter(pk=gift.pk).update(expires_at=timezone.now())
    assert services.gifts_expire_due() == 1
    assert services.gifts_expire_due() == 0
    refund = Refund.objects.get(subject=f"gift:{gift.pk}")
    assert refund.amount == Decimal("99.00")
    payments.refund_execute(refund_id=refund.pk)
    gift.refresh_from_db()
    assert (gift.status, gift.refunded_amount) == (Gift.Status.EXPIRED, Decimal("99.00"))
    assert StockRecord.objects.get(sku=gift.sku).quantity == 50


def test_a_group_gift_with_3_of_5_claimed_refunds_2_units_in_one_refund(client) -> None:
    gift = live_gift(client, quantity=5, price="20.00")
    for n in range(3):
        services.gift_claim(
            gift=gift, recipient=recipient(phone=f"1391234567{n}"), sku_id=None, user=None
        )
    Gift.objects.filter(pk=gift.pk).update(expires_at=timezone.now())
    services.gifts_expire_due()
    refund = Refund.objects.get()
    assert refund.amount == Decimal("40.00")
    assert GiftClaim.objects.filter(gift=gift).count() == 3
    assert StockRecord.objects.get(sku=gift.sku).quantity == 50 - 3


def test_the_same_phone_cannot_claim_two_units(client) -> None:
    gift = live_gift(client, quantity=3)
    services.gift_claim(gift=gift, recipient=recipient(), sku_id=None, user=None)
    with pytest.raises(services.GiftError):
        services.gift_claim(gift=gift, recipient=recipient(), sku_id=None, user=None)
    gift.refresh_from_db()
    assert gift.units_claimed == 1
    assert Order.objects.filter(gift_claim__gift=gift).count() == 1
