"""Builders for chip-in gifts through the real services: start, take a share, pay it at
the sandbox provider (whose notification the shop receives, as in production)."""

from decimal import Decimal

from django.test import Client

from gifting.chipin import services
from gifting.models import ChipIn, Contribution
from shop.payments import services as payments
from shop.payments.models import Refund
from tests import sandbox
from tests.factories import SkuFactory, UserFactory


def create_chip_in(*, price: str = "300.00", stock: int = 10, **kwargs: object) -> ChipIn:
    sku = kwargs.pop("sku", None) or SkuFactory(price=Decimal(price), stock=stock)
    defaults = {
        "organiser": UserFactory(),
        "message": "生日快乐！",
        "sender_name": "小明",
        "language": "en",
    }
    defaults.update(kwargs)
    return services.chip_in_create(sku_id=sku.pk, **defaults)


def take_share(chip_in: ChipIn, amount: str, *, user=None, name: str = "小红") -> Contribution:
    """A friend takes a share; its payment is opened at the provider (the pay step)."""
    contribution = services.contribute(
        chip_in=chip_in, user=user or UserFactory(), amount=amount, display_name=name
    )
    payments.payment_start(payment=contribution.payment, return_url="http://testserver/c/")
    return contribution


def pay_share(client: Client, contribution: Contribution, *, approve: bool = True) -> None:
    sandbox.pay(client, contribution.payment, approve=approve)
    contribution.refresh_from_db()


def chip_in_share(
    client: Client, chip_in: ChipIn, amount: str, *, name: str = "小红"
) -> Contribution:
    """A share taken and paid."""
    contribution = take_share(chip_in, amount, name=name)
    pay_share(client, contribution)
    return contribution


def settle_refunds() -> list[Refund]:
    """What the worker does with the pending refunds: ask the provider, in this process."""
    pending = list(Refund.objects.filter(status=Refund.Status.PENDING).values_list("pk", flat=True))
    payments.refunds_execute(refund_ids=pending)
    return list(Refund.objects.filter(pk__in=pending))
