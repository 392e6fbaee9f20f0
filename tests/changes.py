"""Builders for changes before shipping: an accepted gift whose product has other variants."""

from decimal import Decimal

from django.test import Client

from gifting import services
from gifting.models import GiftClaim
from shop.catalogue.models import Sku
from tests.factories import SkuFactory
from tests.gifts import live_gift, recipient

# A new delivery address, as the change form (and the service) takes it.
NEW_ADDRESS = {
    "recipient_name": "王小丽",
    "phone": "13700001111",
    "province": "江苏省",
    "city": "南京市",
    "district": "鼓楼区",
    "street": "中山路 8 号",
    "postcode": "",
}


def accepted_claim(
    client: Client, *, price: str = "99.00", stock: int = 10, **kwargs: object
) -> GiftClaim:
    """A one-unit gift, paid and accepted: its order awaits shipping."""
    gift = live_gift(client, price=price, stock=stock, **kwargs)
    claim = services.gift_claim(gift=gift, recipient=recipient(), sku_id=None, user=None)
    return GiftClaim.objects.select_related("gift", "sku", "order").get(pk=claim.pk)


def other_variant(claim: GiftClaim, *, price: str, stock: int = 10) -> Sku:
    """Another SKU of the claimed product."""
    return SkuFactory(
        product=claim.sku.product, price=Decimal(price), stock=stock, attributes={"colour": "蓝色"}
    )
