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


# --- Gift history for charts, written directly with factories (fast, back-datable) ---------


def gift_history(
    sku,
    *,
    when,
    units: int = 1,
    claimed: int | None = None,
    refunded: int = 0,
    status: str | None = None,
    sender=None,
) -> Gift:
    """A gift paid at `when`, with `claimed` of its `units` accepted at `when` (default: all).

    The first `refunded` claims' orders are refunded. `status` defaults to what the claims
    imply: accepted when every unit was claimed, expired otherwise.
    """
    from shop.orders.models import Order
    from tests.factories import GiftClaimFactory, GiftFactory

    claimed = units if claimed is None else claimed
    if status is None:
        status = Gift.Status.ACCEPTED if claimed == units else Gift.Status.EXPIRED
    extra = {"sender": sender} if sender is not None else {}
    gift = GiftFactory(
        sku=sku, quantity=units, units_claimed=claimed, status=status, paid_at=when, **extra
    )
    for n in range(claimed):
        GiftClaimFactory(
            gift=gift,
            claimed_at=when,
            order__status=Order.Status.REFUNDED if n < refunded else Order.Status.PAID,
        )
    return gift
