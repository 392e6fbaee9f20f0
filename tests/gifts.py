"""Builders for gifts that go through the real services (create, gateway, notification)."""

from decimal import Decimal

from django.test import Client

from gifting import services, tokens
from gifting.models import Gift
from shop.payments import services as payments
from tests import sandbox
from tests.factories import SkuFactory, UserFactory

RECIPIENT = services.Recipient(
    recipient_name="李小红",
    phone="13912345678",
    province="浙江省",
    city="杭州市",
    district="西湖区",
    street="文三路 1 号 2 单元 301",
)


def create_gift(
    *, sku=None, quantity: int = 1, price: str = "99.00", stock: int = 50, **kwargs: object
) -> Gift:
    sku = sku or SkuFactory(price=Decimal(price), stock=stock)
    defaults = {
        "sender": UserFactory(),
        "message": "生日快乐！",
        "sender_name": "小明",
        "allow_variant_choice": False,
        "language": "en",
    }
    defaults.update(kwargs)
    gift = services.gift_create(sku_id=sku.pk, quantity=quantity, **defaults)
    payments.payment_start(payment=gift.payment, return_url="http://testserver/gifts/")
    return gift


def live_gift(client: Client, **kwargs: object) -> Gift:
    """A paid gift whose link is live."""
    gift = create_gift(**kwargs)
    sandbox.pay(client, gift.payment)
    gift.refresh_from_db()
    assert gift.status == Gift.Status.AWAITING_RECIPIENT
    return gift


def link(gift: Gift) -> str:
    return f"/g/{tokens.token_for(gift.token_salt)}/"


def recipient(**changes: str) -> services.Recipient:
    return services.Recipient(**{**RECIPIENT.__dict__, **changes})
