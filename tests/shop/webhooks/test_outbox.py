"""The outbox: an event is written in the transaction of the change it reports, and goes
to the partners concerned (and only to the endpoints subscribed to its type).

No worker here: publishing is stubbed (`no_publish`); what is checked is the rows.
"""

import json

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from gifting import services as gifting
from gifting.models import Gift
from merchants import services as merchants
from merchants.models import MerchantApplication
from shop.catalogue import services as catalogue
from shop.catalogue.models import Product
from shop.orders import services as orders
from shop.partners.models import Partner, WebhookDelivery, WebhookEndpoint, WebhookEvent
from shop.payments import services as payments
from shop.webhooks import events, outbox
from tests.factories import (
    CategoryFactory,
    MerchantFactory,
    ProductFactory,
    SkuFactory,
    UserFactory,
)
from tests.gifts import live_gift, recipient
from tests.merchants.world import place_order
from tests.partners import Api, api_for, managed_merchant

from .conftest import gift_payload

pytestmark = pytest.mark.usefixtures("no_publish", "insecure_webhooks")

URL = "https://hooks.example.com/in"


def endpoint(api: Api, types: list[str] | tuple[str, ...] = events.EVENT_TYPES) -> dict:
    response = api.post("/api/v1/webhook-endpoints/", {"url": URL, "events": list(types)})
    assert response.status_code == 201, response.content
    return json.loads(response.content)


def send(api: Api, sku: object) -> dict:
    response = api.post("/api/v1/gifts/", gift_payload(sku))
    assert response.status_code == 201, response.content
    return json.loads(response.content)


def gift_of(body: dict) -> Gift:
    return Gift.objects.get(pk=int(body["id"].removeprefix("gift_")))


def types_for(partner: Partner) -> list[str]:
    return list(
        WebhookEvent.objects.filter(partner=partner).order_by("pk").values_list("type", flat=True)
    )


def delivered_types(endpoint_body: dict) -> list[str]:
    pk = int(endpoint_body["id"].removeprefix("whe_"))
    return list(
        WebhookDelivery.objects.filter(endpoint_id=pk)
        .order_by("pk")
        .values_list("event__type", flat=True)
    )


@pytest.fixture
def two_partners(db: None) -> tuple[tuple[Partner, Api], tuple[Partner, Api]]:
    return api_for(Client(), "A", balance="500.00"), api_for(Client(), "B", balance="500.00")


# --- In the transaction of the change ---------------------------------------------------------


def test_a_cancel_that_rolls_back_leaves_no_event(brand, sku) -> None:
    partner, api = brand
    endpoint(api)
    gift = gift_of(send(api, sku))

    with pytest.raises(RuntimeError), transaction.atomic():
        gifting.gift_cancel(gift=gift)
        assert types_for(partner) == ["gift.cancelled"]  # written, inside the transaction
        raise RuntimeError("the change fails after the event was written")

    assert types_for(partner) == []
    assert not WebhookDelivery.objects.exists()
    gift.refresh_from_db()
    assert gift.status == Gift.Status.AWAITING_RECIPIENT


def test_a_committed_cancel_leaves_its_event_and_a_pending_delivery(brand, sku) -> None:
    partner, api = brand
    hook = endpoint(api)
    body = send(api, sku)

    response = api.post(f"/api/v1/gifts/{body['id']}/cancel/")

    assert response.status_code == 200, response.content
    event = WebhookEvent.objects.get(partner=partner)
    assert (event.type, event.data["id"], event.data["status"]) == (
        "gift.cancelled",
        body["id"],
        "cancelled",
    )
    assert event.public_id.startswith("evt_")
    delivery = WebhookDelivery.objects.get(event=event)
    assert (delivery.endpoint_id, delivery.status, delivery.attempts) == (
        int(hook["id"].removeprefix("whe_")),
        WebhookDelivery.Status.PENDING,
        0,
    )
    assert delivery.next_attempt_at <= timezone.now()


def test_when_the_event_cannot_be_written_the_cancel_does_not_happen(
    brand, sku, monkeypatch
) -> None:
    _, api = brand
    endpoint(api)
    gift = gift_of(send(api, sku))

    def broken() -> str:
        raise RuntimeError("the outbox is unavailable")

    monkeypatch.setattr(outbox, "new_event_id", broken)
    with pytest.raises(RuntimeError):
        gifting.gift_cancel(gift=gift)

    gift.refresh_from_db()
    assert gift.status == Gift.Status.AWAITING_RECIPIENT
    assert not gift.payment.refunds.exists()
    assert not WebhookEvent.objects.exists()


def test_storefront_traffic_with_no_partner_writes_no_events(client: Client, brand) -> None:
    endpoint(brand[1])  # a partner exists and listens, but none of this concerns it
    order = place_order(client, SkuFactory(stock=5))
    orders.order_ship(order=order, carrier="SF", tracking_number="SF1")
    gift = live_gift(client, price="30.00", stock=5)
    gifting.gift_claim(gift=gift, recipient=recipient(), sku_id=None, user=None)
    other = live_gift(client, price="30.00", stock=5)
    gifting.gift_cancel(gift=other)

    assert not WebhookEvent.objects.exists()
    assert not WebhookDelivery.objects.exists()


# --- Who receives what ------------------------------------------------------------------------


def test_order_paid_goes_to_the_partner_managing_the_merchant_only(
    client: Client, two_partners
) -> None:
    (a, api_a), (b, api_b) = two_partners
    hook_a, hook_b = endpoint(api_a), endpoint(api_b)
    managed_merchant(b)  # B manages another shop
    merchant = managed_merchant(a)

    order = place_order(client, SkuFactory(product__merchant=merchant, stock=5))

    assert types_for(a) == ["order.paid"]
    assert WebhookEvent.objects.get(partner=a).data["id"] == f"ord_{order.pk}"
    assert types_for(b) == []
    assert (delivered_types(hook_a), delivered_types(hook_b)) == (["order.paid"], [])


def test_order_shipped_goes_to_the_partner_managing_the_merchant_only(
    client: Client, two_partners
) -> None:
    (a, _), (b, _) = two_partners
    merchant = managed_merchant(a)
    order = place_order(client, SkuFactory(product__merchant=merchant, stock=5))

    orders.order_ship(order=order, carrier="SF", tracking_number="SF123")

    assert types_for(a) == ["order.paid", "order.shipped"]
    shipped = WebhookEvent.objects.get(partner=a, type="order.shipped")
    assert (shipped.data["status"], shipped.data["tracking_number"]) == ("shipped", "SF123")
    assert types_for(b) == []


def test_a_claimed_gifts_shipment_is_gift_shipped_to_its_sender_and_order_events_to_the_manager(
    two_partners,
) -> None:
    (shop_partner, _), (brand, brand_api) = two_partners
    merchant = managed_merchant(shop_partner)
    gift = gift_of(send(brand_api, SkuFactory(product__merchant=merchant, price="10.00")))

    claim = gifting.gift_claim(gift=gift, recipient=recipient(), sku_id=None, user=None)
    orders.order_ship(order=claim.order, carrier="SF", tracking_number="SF9")

    assert types_for(brand) == ["gift.accepted", "gift.shipped"]
    shipped = WebhookEvent.objects.get(partner=brand, type="gift.shipped")
    assert (shipped.data["id"], shipped.data["status"]) == (f"gift_{gift.pk}", "shipped")
    assert types_for(shop_partner) == ["order.paid", "order.shipped"]


@pytest.mark.parametrize(
    ("close", "expected"),
    [
        (lambda gift: gifting.gift_decline(gift=gift), "gift.declined"),
        (lambda gift: gifting.gift_cancel(gift=gift), "gift.cancelled"),
        (None, "gift.expired"),
    ],
    ids=["declined", "cancelled", "expired"],
)
def test_a_closed_gift_is_reported_to_the_partner_that_sent_it_then_refunded(
    two_partners, sku, close, expected
) -> None:
    (sender, api), (other, other_api) = two_partners
    endpoint(other_api)
    gift = gift_of(send(api, sku))

    if close is None:
        Gift.objects.filter(pk=gift.pk).update(expires_at=timezone.now())
        assert gifting.gifts_expire_due() == 1
    else:
        close(gift)
    assert types_for(sender) == [expected]
    payments.refunds_execute(refund_ids=list(gift.payment.refunds.values_list("pk", flat=True)))

    assert types_for(sender) == [expected, "gift.refunded"]
    refunded = WebhookEvent.objects.get(type="gift.refunded")
    assert (refunded.data["status"], refunded.data["refunded_amount"]["value"]) == (
        "refunded",
        "10.00",
    )
    assert types_for(other) == []


def test_an_accepted_gift_is_reported_to_the_partner_that_sent_it(brand, sku) -> None:
    partner, api = brand
    gift = gift_of(send(api, sku))

    gifting.gift_claim(gift=gift, recipient=recipient(), sku_id=None, user=None)

    assert types_for(partner) == ["gift.accepted"]
    data = WebhookEvent.objects.get().data
    assert (data["status"], data["units_claimed"]) == ("accepted", 1)
    assert "李小红" not in json.dumps(data, ensure_ascii=False)  # no recipient in the event


def _application(partner: Partner | None, uscc: str) -> MerchantApplication:
    application = MerchantApplication.objects.create(
        partner=partner,
        legal_name="杭州好礼贸易有限公司",
        shop_name=f"好礼小店 {uscc[-4:]}",
        uscc=uscc,
        contact_name="王芳",
        contact_phone="13800138000",
        email=f"owner-{uscc[-4:].lower()}@example.com",
        status=MerchantApplication.Status.SUBMITTED,
    )
    application.categories.set([CategoryFactory()])
    return application


def test_an_approved_application_is_reported_to_the_partner_that_submitted_it(
    two_partners,
) -> None:
    (a, _), (b, _) = two_partners
    application = _application(a, "91350100M000100Y43")

    merchant = merchants.application_approve(application=application, operator=UserFactory())

    assert types_for(a) == ["merchant_application.approved"]
    data = WebhookEvent.objects.get().data
    assert (data["id"], data["status"], data["merchant"]) == (
        f"app_{application.pk}",
        "approved",
        f"mer_{merchant.pk}",
    )
    assert types_for(b) == []


def test_a_rejected_application_is_reported_to_the_partner_that_submitted_it(
    two_partners,
) -> None:
    (a, _), (b, _) = two_partners
    application = _application(b, "91110000600037341L")
    web_application = _application(None, "91350100M000100Y43")  # from the web form: nobody

    merchants.application_reject(application=application, operator=UserFactory(), reason="模糊")
    merchants.application_reject(application=web_application, operator=UserFactory(), reason="x")

    assert types_for(b) == ["merchant_application.rejected"]
    assert WebhookEvent.objects.get().data["rejection_reason"] == "模糊"
    assert types_for(a) == []


@pytest.mark.parametrize(("approve", "expected"), [(True, "approved"), (False, "rejected")])
def test_a_reviewed_product_is_reported_to_every_partner_managing_its_merchant(
    two_partners, approve: bool, expected: str
) -> None:
    (a, _), (b, _) = two_partners
    outsider = Partner.objects.create(name="C")
    merchant = MerchantFactory()
    a.merchants.add(merchant)
    b.merchants.add(merchant)
    managed_merchant(outsider)
    product = ProductFactory(merchant=merchant, status=Product.Status.PENDING_REVIEW)

    catalogue.product_review(product=product, approve=approve, note="图片不清楚")

    assert types_for(a) == types_for(b) == [f"product.{expected}"]
    assert {e.data["id"] for e in WebhookEvent.objects.all()} == {f"prod_{product.pk}"}
    assert types_for(outsider) == []


def test_an_endpoint_gets_only_the_event_types_it_subscribed_to(brand, sku) -> None:
    partner, api = brand
    cancels = endpoint(api, ["gift.cancelled"])
    accepts = endpoint(api, ["gift.accepted", "order.paid"])
    first, second = send(api, sku), send(api, sku)

    api.post(f"/api/v1/gifts/{first['id']}/cancel/")
    gifting.gift_claim(gift=gift_of(second), recipient=recipient(), sku_id=None, user=None)

    assert types_for(partner) == ["gift.cancelled", "gift.accepted"]
    assert delivered_types(cancels) == ["gift.cancelled"]
    assert delivered_types(accepts) == ["gift.accepted"]


def test_a_deleted_endpoint_gets_nothing_more(brand, sku) -> None:
    partner, api = brand
    hook = endpoint(api, ["gift.cancelled"])
    first, second = send(api, sku), send(api, sku)
    api.post(f"/api/v1/gifts/{first['id']}/cancel/")
    assert delivered_types(hook) == ["gift.cancelled"]

    response = api.delete(f"/api/v1/webhook-endpoints/{hook['id']}/")
    api.post(f"/api/v1/gifts/{second['id']}/cancel/")

    assert response.status_code == 204
    assert api.get(f"/api/v1/webhook-endpoints/{hook['id']}/").status_code == 404
    assert types_for(partner) == ["gift.cancelled", "gift.cancelled"]  # still recorded
    assert delivered_types(hook) == ["gift.cancelled"]  # but not sent to the deleted endpoint
    assert not WebhookEndpoint.objects.get().is_active
