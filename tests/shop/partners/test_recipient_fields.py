"""A recipient's name, phone and street reach one partner only: the one managing the
merchant that ships, reading that order alone. Every partner API route and every webhook
event type is walked for them, so a new route or event cannot leak them unnoticed."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern
from django.utils import timezone

from gifting import changes
from gifting import services as gifting
from gifting.chipin import services as chipin
from gifting.models import ChipIn, Gift
from merchants import services as merchants
from merchants.models import MerchantApplication
from shop.api.urls import v1
from shop.catalogue import services as catalogue
from shop.catalogue.models import Product
from shop.orders import services as orders
from shop.partners.models import WebhookEvent
from shop.payments import services as payments
from shop.webhooks import events
from tests.chipins import chip_in_share
from tests.factories import CategoryFactory, ProductFactory, SkuFactory, UserFactory
from tests.gifts import recipient
from tests.merchants.world import place_order
from tests.partners import api_for, managed_merchant
from tests.shop.webhooks.test_outbox import endpoint, gift_of, send

pytestmark = pytest.mark.usefixtures("no_publish", "insecure_webhooks")

# Distinctive values, so a hit anywhere in a body is this recipient's.
RECIPIENT = recipient(recipient_name="欧阳收礼", phone="13987650001", street="莫干山路 777 号 8 楼")
SHOPPER_ADDRESS = {
    "recipient_name": "司马购物",
    "phone": "13987650002",
    "province": "浙江省",
    "city": "杭州市",
    "district": "拱墅区",
    "street": "湖墅南路 555 号",
}
# Where the recipient asks the parcel to go instead (an address change).
NEW_ADDRESS = {
    **SHOPPER_ADDRESS,
    "recipient_name": "东方新址",
    "phone": "13987650003",
    "street": "新址路 999 号",
}
SECRETS = [
    NEW_ADDRESS["recipient_name"],
    NEW_ADDRESS["phone"],
    NEW_ADDRESS["street"],
    RECIPIENT.recipient_name,
    RECIPIENT.phone,
    RECIPIENT.street,
    SHOPPER_ADDRESS["recipient_name"],
    SHOPPER_ADDRESS["phone"],
    SHOPPER_ADDRESS["street"],
]


def leaked(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


@pytest.fixture
def world(db: None) -> dict:
    """`shop` manages the merchant that ships; `brand` sends gifts of its product."""
    shop, shop_api = api_for(Client(), "Shop partner", balance="500.00")
    brand, brand_api = api_for(Client(), "Brand", balance="500.00")
    merchant = managed_merchant(shop)
    sku = SkuFactory(product__merchant=merchant, price="10.00", stock=50)
    for api in (shop_api, brand_api):
        endpoint(api)
    gift = gift_of(send(brand_api, sku))
    claim = gifting.gift_claim(gift=gift, recipient=RECIPIENT, sku_id=None, user=None)
    change = changes.address_change_request(claim=claim, address=NEW_ADDRESS)
    shopper_order = place_order(Client(), sku, address=SHOPPER_ADDRESS)
    application = brand_api.post_multipart("/api/v1/merchant-applications/", _application_form())
    assert application.status_code == 201, application.content
    return {
        "shop": shop,
        "shop_api": shop_api,
        "brand": brand,
        "brand_api": brand_api,
        "merchant": merchant,
        "sku": sku,
        "gift": gift,
        "claim": claim,
        "change": change,
        "shopper_order": shopper_order,
        "application": json.loads(application.content)["id"],
    }


def _application_form() -> dict:
    from tests.shop.api.conftest import application_form

    return application_form(CategoryFactory(parent=CategoryFactory()))


def _path(pattern: URLPattern, world: dict, order_id: str) -> str:
    """The route with every parameter filled with an object the partners can reach."""
    values = {
        "product_id": f"prod_{world['sku'].product_id}",
        "sku_id": f"sku_{world['sku'].pk}",
        "order_id": order_id,
        "gift_id": f"gift_{world['gift'].pk}",
        "application_id": world["application"],
        "endpoint_id": _endpoint_id(world),
        "request_id": f"chg_{world['change'].pk}",
    }
    path = str(pattern.pattern)
    for name in pattern.pattern.converters:
        assert name in values, f"the walk does not know how to fill <{name}> of {path}"
        path = path.replace(f"<str:{name}>", values[name])
    return f"/api/v1/{path}"


def _endpoint_id(world: dict) -> str:
    listed = json.loads(world["brand_api"].get("/api/v1/webhook-endpoints/").content)
    return listed["results"][0]["id"]


# The two reads that show the shipping partner an address: an order, an address change.
ADDRESS_READS = ("orders/<str:order_id>/", "change-requests/<str:request_id>/")


def test_every_route_leaves_recipients_out_but_the_managing_partners_order_read(world) -> None:
    shipped_by_shop = [f"ord_{world['claim'].order_id}", f"ord_{world['shopper_order'].pk}"]
    reads = 0
    for pattern in v1:
        for order_id in shipped_by_shop:
            path = _path(pattern, world, order_id)
            for who in ("shop_api", "brand_api"):
                response = world[who].get(path)
                text = response.content.decode()
                if who == "shop_api" and str(pattern.pattern) in ADDRESS_READS:
                    assert response.status_code == 200
                    assert leaked(text), "the shipping partner reads the address it ships to"
                    reads += 1
                else:
                    assert not leaked(text), f"{who} GET {path} shows {leaked(text)}"
    assert reads == 2 * len(ADDRESS_READS)


def test_the_sender_partner_cannot_read_its_gifts_order_at_all(world) -> None:
    response = world["brand_api"].get(f"/api/v1/orders/ord_{world['claim'].order_id}/")
    assert response.status_code == 404


def test_every_webhook_event_type_leaves_recipients_out(world) -> None:
    brand_api, merchant = world["brand_api"], world["merchant"]
    sku = world["sku"]
    # change_request.created: done in the world; approved over the API, then one rejected
    # and a variant change left to expire (the clock).
    shop_api = world["shop_api"]
    approved = shop_api.post(f"/api/v1/change-requests/chg_{world['change'].pk}/approve/")
    assert approved.status_code == 200, approved.content
    claim = world["claim"]
    claim.refresh_from_db()
    back = {**NEW_ADDRESS, "street": "新址路 1000 号"}
    changes.change_reject(request=changes.address_change_request(claim=claim, address=back))
    cheaper = SkuFactory(product=sku.product, price="8.00", stock=5)
    variant = changes.variant_change_request(claim=claim, sku_id=cheaper.pk)
    variant.__class__.objects.filter(pk=variant.pk).update(due_at=timezone.now())
    assert changes.changes_resolve_due() == 1
    # gift.accepted, order.paid: done in the world. Shipping: order.shipped, gift.shipped.
    orders.order_ship(order=world["claim"].order, carrier="SF", tracking_number="SF1")
    # gift.thanked: the recipient's note (its text is theirs to send, their address is not).
    gifting.gift_thank(claim=world["claim"], thanks="谢谢品牌！")
    # Declined, cancelled, expired; each then refunded.
    declined, cancelled, expired = (gift_of(send(brand_api, sku)) for _ in range(3))
    gifting.gift_decline(gift=declined)
    assert brand_api.post(f"/api/v1/gifts/gift_{cancelled.pk}/cancel/").status_code == 200
    Gift.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    assert gifting.gifts_expire_due() == 1
    for gift in (declined, cancelled, expired):
        payments.refunds_execute(refund_ids=list(gift.payment.refunds.values_list("pk", flat=True)))
    # Chip-ins: one funded (gift.funded), one past its deadline (gift.funding_failed).
    dearer = SkuFactory(product=sku.product, price="50.00", stock=5)
    funded, failed = (
        ChipIn.objects.get(gift_id=int(json.loads(started.content)["gift"]["id"][5:]))
        for started in (
            brand_api.post("/api/v1/chip-ins/", {"sku": f"sku_{dearer.pk}", "sender_name": "品牌"})
            for _ in range(2)
        )
    )
    chip_in_share(Client(), funded, str(funded.target))
    chip_in_share(Client(), failed, "10.00")
    ChipIn.objects.filter(pk=failed.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    assert chipin.chip_ins_sweep() == 1
    # Applications approved and rejected.
    application = MerchantApplication.objects.get(pk=int(world["application"].split("_")[1]))
    merchants.application_approve(application=application, operator=UserFactory())
    second = brand_api.post_multipart(
        "/api/v1/merchant-applications/",
        {**_application_form(), "uscc": "91110000600037341L", "shop_name": "第二家"},
    )
    rejected = MerchantApplication.objects.get(pk=int(json.loads(second.content)["id"][4:]))
    merchants.application_reject(application=rejected, operator=UserFactory(), reason="模糊")
    # Products approved and rejected.
    for approve in (True, False):
        product = ProductFactory(merchant=merchant, status=Product.Status.PENDING_REVIEW)
        catalogue.product_review(product=product, approve=approve, note="图片")

    seen = set(WebhookEvent.objects.values_list("type", flat=True))
    assert seen == set(events.EVENT_TYPES), f"not walked: {set(events.EVENT_TYPES) - seen}"
    for event in WebhookEvent.objects.all():
        text = json.dumps(event.data, ensure_ascii=False)
        assert not leaked(text), f"{event.type} to {event.partner} carries {leaked(text)}"


def test_shipping_through_the_api_answers_without_the_address(world) -> None:
    order_id = f"ord_{world['claim'].order_id}"
    approved = world["shop_api"].post(f"/api/v1/change-requests/chg_{world['change'].pk}/approve/")
    assert approved.status_code == 200
    assert not leaked(approved.content.decode())
    response = world["shop_api"].post(
        f"/api/v1/orders/{order_id}/shipments/", {"carrier": "SF", "tracking_number": "SF2"}
    )
    assert response.status_code == 201
    assert not leaked(response.content.decode())
