"""The campaign's actors, made through the services in the cluster's database:
`python -m tests.scale.setup_data <shoppers> <receiver URL>` prints them as one JSON line.

Two brands (a key, a prepaid balance for every gift, a webhook endpoint each on the local
receiver), giftable SKUs with stock for every gift, and shoppers with a password and a
default address for the checkouts. Runs after `seed_demo --gifts 0` made the catalogue.
"""

import json
import os
import sys
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
django.setup()

from shop.accounts import services as accounts  # noqa: E402 - after django.setup()
from shop.catalogue.models import Product, Sku, StockRecord  # noqa: E402
from shop.partners import services as partners  # noqa: E402
from shop.webhooks import events  # noqa: E402

BRANDS = ("Scale Brand North", "Scale Brand South")
STOCK = 1_000_000
PASSWORD = "scale-campaign-2026"
ADDRESS = {
    "recipient_name": "压测用户",
    "phone": "13912345678",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "street": "文三路 1 号",
    "postcode": "310000",
}
WEBHOOK_EVENTS = [events.GIFT_ACCEPTED, events.GIFT_EXPIRED, events.GIFT_REFUNDED]


def _listed_skus(*, giftable: bool, count: int) -> list[Sku]:
    skus = Sku.objects.filter(
        is_active=True,
        product__status=Product.Status.LISTED,
        product__category__giftable=giftable,
        price__lte=Decimal("500"),
    ).order_by("pk")[:count]
    return list(skus)


def main() -> None:
    shoppers, receiver = int(sys.argv[1]), sys.argv[2].rstrip("/")
    gift_skus = _listed_skus(giftable=True, count=6)
    shop_skus = _listed_skus(giftable=False, count=6) or gift_skus
    StockRecord.objects.filter(sku__in=gift_skus + shop_skus).update(quantity=STOCK)
    brands = []
    for n, name in enumerate(BRANDS):
        partner = partners.partner_get_or_create(name=name)
        partners.balance_top_up(
            partner=partner, amount=Decimal("10000000"), reference=f"scale-{n}", note="campaign"
        )
        path = f"/brand-{n}"
        endpoint = partners.webhook_endpoint_create(
            partner=partner, url=receiver + path, events=WEBHOOK_EVENTS
        )
        brands.append(
            {
                "name": name,
                "key": partners.api_key_issue(partner=partner, label="campaign").raw,
                "endpoint": endpoint.pk,
                "path": path,
            }
        )
    people = []
    for n in range(shoppers):
        email = f"scale-shopper-{n}@example.com"
        user = accounts.user_create(email=email, password=PASSWORD, name=f"Shopper {n}")
        accounts.address_save(user=user, data=ADDRESS, make_default=True)
        people.append({"email": email, "password": PASSWORD})
    products = list(
        Product.objects.filter(status=Product.Status.LISTED)
        .order_by("pk")
        .values_list("pk", flat=True)[:40]
    )
    print(
        json.dumps(
            {
                "brands": brands,
                "gift_skus": [f"sku_{s.pk}" for s in gift_skus],
                "shop_skus": [s.pk for s in shop_skus],
                "shoppers": people,
                "products": products,
            }
        )
    )


if __name__ == "__main__":
    main()
