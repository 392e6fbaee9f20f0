"""Builders for gifts that go through the real services (create, gateway, notification)."""

import secrets
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.test import Client
from django.utils import timezone

from gifting import services, tokens
from gifting.models import Gift
from shop.catalogue.models import StockRecord
from shop.notices import channels
from shop.notices import selectors as notice_selectors
from shop.payments import services as payments
from shop.payments.models import Payment
from shop.sandbox.models import SandboxCharge
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


# What a recipient types into the claim form (a phone written with spaces), then accepts.
CLAIM_FORM = {
    "recipient_name": "李小红",
    "phone": "139 1234 5678",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "street": "文三路 1 号",
    "postcode": "",
    "action": "accept",
}


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


def send_notices() -> None:
    """What the worker does with each due notice, in this process."""
    for pk in notice_selectors.due_notice_ids():
        channels.deliver(pk)


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
    with transaction.atomic():  # the claims match the units claimed when it commits
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


# --- Many paid, overdue gifts at once, for the sweeps ----------------------------------------


def due_gifts(skus: list, per_sku: int) -> list[Gift]:
    """`per_sku` one-unit gifts of each SKU, paid at the sandbox and past their deadline, in
    bulk: the sweep is what is tested, not how gifts are bought. Their stock is taken as
    buying would; ordered by deadline, SKU by SKU."""
    now = timezone.now()
    rows = [(sku, n) for sku in skus for n in range(per_sku)]
    payments_ = Payment.objects.bulk_create(
        Payment(
            reference=f"PDUE{secrets.token_hex(8).upper()}",
            purpose=Payment.Purpose.GIFT,
            amount=sku.price,
            status=Payment.Status.SUCCEEDED,
            gateway="sandbox",
            provider_reference=f"ch_due{secrets.token_hex(8)}",
            succeeded_at=now - timedelta(days=1),
        )
        for sku, _ in rows
    )
    SandboxCharge.objects.bulk_create(
        SandboxCharge(
            id=p.provider_reference,
            merchant_reference=p.reference,
            amount=p.amount,
            status=SandboxCharge.Status.SUCCEEDED,
            return_url="http://127.0.0.1:9/gifts/",
            notify_url="http://127.0.0.1:9/payments/notify/sandbox/",
            completed_at=p.succeeded_at,
        )
        for p in payments_
    )
    gifts = []
    for index, ((sku, _), payment) in enumerate(zip(rows, payments_, strict=True)):
        salt = tokens.new_salt()
        gifts.append(
            Gift(
                sku=sku,
                quantity=1,
                unit_price=sku.price,
                amount=sku.price,
                sender_name="小明",
                status=Gift.Status.AWAITING_RECIPIENT,
                token_salt=salt,
                token_hash=tokens.token_hash(tokens.token_for(salt)),
                payment=payment,
                paid_at=payment.succeeded_at,
                expires_at=now - timedelta(hours=1) + timedelta(milliseconds=index),
            )
        )
    for sku in skus:
        StockRecord.objects.filter(sku=sku).update(quantity=F("quantity") - per_sku)
    return Gift.objects.bulk_create(gifts)
