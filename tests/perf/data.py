"""Bulk builders for benchmark data: thousands of rows in a few statements.

The rows are what the real services leave behind (see tests/gifts.py), without going
through them one gift at a time: a paid gift payment, the sandbox's succeeded charge for
it (so the provider accepts its refund), and a live gift past its deadline.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from gifting import tokens
from gifting.models import Gift
from shop.accounts.models import User
from shop.catalogue.models import Sku, StockRecord
from shop.payments.models import Payment
from shop.sandbox.models import SandboxCharge
from tests.factories import SkuFactory, UserFactory

PRICE = Decimal("99.00")
STOCK = 1_000
_runs = itertools.count()


@dataclass
class Shop:
    skus: list[Sku]
    senders: list[User]

    def stock(self) -> int:
        return sum(StockRecord.objects.filter(sku__in=self.skus).values_list("quantity", flat=True))


def shop(skus: int = 5, senders: int = 20) -> Shop:
    """A handful of SKUs with stock records, and senders with an email address."""
    return Shop(
        skus=[SkuFactory(price=PRICE, stock=STOCK) for _ in range(skus)],
        senders=[UserFactory() for _ in range(senders)],
    )


def due_gifts(shop: Shop, count: int, *, chunk: int = 2_000) -> list[int]:
    """`count` one-unit gifts, paid, awaiting their recipient and already past their deadline.

    Returns the gifts' ids. The deadlines are spread over the last hour.
    """
    now = timezone.now()
    gifts = paid_gifts(shop, count, deadline=lambda i: now - timedelta(seconds=1 + i % 3_600))
    return [g.pk for g in gifts]


def live_links(shop: Shop, count: int) -> list[str]:
    """Claim links of `count` one-unit gifts, paid and awaiting their recipient."""
    deadline = timezone.now() + timedelta(days=1)
    gifts = paid_gifts(shop, count, deadline=lambda i: deadline)
    return [f"/g/{tokens.token_for(g.token_salt)}/" for g in gifts]


def paid_gifts(
    shop: Shop, count: int, *, deadline: Callable[[int], datetime], chunk: int = 2_000
) -> list[Gift]:
    """`count` one-unit gifts, paid and awaiting their recipient; gift i is due at
    `deadline(i)`."""
    run = next(_runs)
    now = timezone.now()
    payments = [
        Payment(
            reference=f"PBENCH{run:03d}{i:08d}",
            purpose=Payment.Purpose.GIFT,
            amount=PRICE,
            status=Payment.Status.SUCCEEDED,
            gateway="sandbox",
            provider_reference=f"ch_bench{run:03d}{i:08d}",
            description="Gift: bench",
            succeeded_at=now - timedelta(days=1, hours=1),
        )
        for i in range(count)
    ]
    Payment.objects.bulk_create(payments, batch_size=chunk)
    SandboxCharge.objects.bulk_create(
        (
            SandboxCharge(
                id=p.provider_reference,
                merchant_reference=p.reference,
                amount=PRICE,
                description=p.description,
                status=SandboxCharge.Status.SUCCEEDED,
                return_url="http://127.0.0.1:9/gifts/",
                notify_url="http://127.0.0.1:9/payments/notify/sandbox/",
                completed_at=p.succeeded_at,
            )
            for p in payments
        ),
        batch_size=chunk,
    )
    gifts = []
    for i, payment in enumerate(payments):
        salt = tokens.new_salt()
        gifts.append(
            Gift(
                sender=shop.senders[i % len(shop.senders)],
                sku=shop.skus[i % len(shop.skus)],
                quantity=1,
                unit_price=PRICE,
                amount=PRICE,
                message="生日快乐！",
                sender_name="小明",
                status=Gift.Status.AWAITING_RECIPIENT,
                token_salt=salt,
                token_hash=tokens.token_hash(tokens.token_for(salt)),
                payment=payment,
                language="en",
                paid_at=payment.succeeded_at,
                expires_at=deadline(i),
            )
        )
    Gift.objects.bulk_create(gifts, batch_size=chunk)
    return gifts
