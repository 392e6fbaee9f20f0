"""Gifts a partner sends from its prepaid balance: sending (same rules as the web flow),
the claim link, the statuses a partner follows, cancelling and refunds to the balance."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from gifting import services as gifting
from gifting.models import Gift, GiftClaim
from merchants.models import AddressAccessLog
from shop.catalogue.models import Product, StockRecord
from shop.orders import services as orders
from shop.partners.models import BalanceEntry
from shop.payments import services as payments
from shop.payments.models import Payment, Refund
from tests.factories import CategoryFactory, ProductFactory, SkuFactory
from tests.gifts import recipient
from tests.partners import api_for, managed_merchant

from .conftest import assert_problem, body, send_gift

pytestmark = pytest.mark.django_db

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


@pytest.fixture
def brand(client: Client) -> dict:
    partner, api = api_for(client, "Brand", balance="5000.00")
    return {"partner": partner, "api": api}


@pytest.fixture
def sku(db: None):
    return SkuFactory(price=Decimal("100.00"), stock=50)


def stock(sku) -> int:
    return StockRecord.objects.get(sku=sku).quantity


def balance(partner) -> Decimal:
    partner.refresh_from_db()
    return partner.balance


def gift_of(data: dict) -> Gift:
    return Gift.objects.get(pk=int(data["id"].removeprefix("gift_")))


def claim(gift: Gift, **changes: str) -> GiftClaim:
    return gifting.gift_claim(gift=gift, recipient=recipient(**changes), sku_id=None, user=None)


def execute_refunds(gift: Gift) -> None:
    payments.refunds_execute(
        refund_ids=list(Refund.objects.filter(payment=gift.payment).values_list("pk", flat=True))
    )


# --- Sending ----------------------------------------------------------------------------


def test_a_gift_is_created_awaiting_its_recipient(brand, sku) -> None:
    response = send_gift(brand["api"], sku, quantity=3, message="新年快乐", sender_name="品牌")
    assert response.status_code == 201, response.content
    data = body(response)
    assert data["id"].startswith("gift_")
    assert data["status"] == "awaiting_recipient"
    assert data["amount"] == {"value": "300.00", "currency": "CNY"}
    assert (data["units"], data["units_claimed"]) == (3, 0)
    assert (data["message"], data["sender_name"]) == ("新年快乐", "品牌")
    assert data["claim_url"].startswith("http")
    assert timezone.datetime.fromisoformat(data["expires_at"]) > timezone.now()
    gift = gift_of(data)
    assert (gift.partner, gift.sender, gift.quantity) == (brand["partner"], None, 3)
    assert gift.status == Gift.Status.AWAITING_RECIPIENT


def test_sending_sets_no_cookie_an_api_client_would_not_keep(brand, sku) -> None:
    """The web's read-your-writes cookie is for browsers; a key's client keeps no cookies."""
    response = send_gift(brand["api"], sku)
    assert response.status_code == 201, response.content
    assert list(response.cookies) == []


def test_sending_debits_the_balance_exactly_once(brand, sku) -> None:
    send_gift(brand["api"], sku, quantity=3)
    assert balance(brand["partner"]) == Decimal("4700.00")
    charge = BalanceEntry.objects.get(partner=brand["partner"], kind=BalanceEntry.Kind.GIFT_CHARGE)
    assert (charge.amount, charge.balance_after) == (Decimal("-300.00"), Decimal("4700.00"))


def test_sending_reserves_the_stock_and_the_payment_is_captured(brand, sku) -> None:
    gift = gift_of(body(send_gift(brand["api"], sku, quantity=3)))
    assert stock(sku) == 47
    assert gift.payment.status == Payment.Status.SUCCEEDED
    assert gift.payment.amount == Decimal("300.00")


def test_the_claim_url_works_for_a_recipient_on_the_web(brand, sku) -> None:
    data = body(send_gift(brand["api"], sku))
    path = urlsplit(data["claim_url"]).path
    visitor = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = visitor.get(path)
    assert page.status_code == 200
    assert "品牌" in page.text
    accepted = visitor.post(path, CLAIM_FORM)
    assert accepted.status_code == 302
    assert GiftClaim.objects.filter(gift=gift_of(data), phone="13912345678").exists()
    after = body(brand["api"].get(f"/api/v1/gifts/{data['id']}/"))
    assert (after["status"], after["units_claimed"]) == ("accepted", 1)
    assert after["claim_url"] is None


def test_a_variant_choice_can_be_allowed(brand, sku) -> None:
    data = body(send_gift(brand["api"], sku, allow_variant_choice=True))
    assert data["allow_variant_choice"] is True
    assert gift_of(data).allow_variant_choice is True


def non_giftable_sku(kind: str):
    if kind == "category":
        category = CategoryFactory(giftable=False)
    elif kind == "parent":
        category = CategoryFactory(parent=CategoryFactory(giftable=False), giftable=True)
    else:
        category = CategoryFactory()
    status = Product.Status.DRAFT if kind == "draft" else Product.Status.LISTED
    product = ProductFactory(category=category, status=status)
    return SkuFactory(product=product, is_active=kind != "inactive")


@pytest.mark.parametrize("kind", ["category", "parent", "draft", "inactive"])
def test_a_sku_that_cannot_be_a_gift_is_422_and_charges_nothing(brand, kind) -> None:
    sku = non_giftable_sku(kind)
    problem = assert_problem(send_gift(brand["api"], sku), 422, "validation")
    assert list(problem["errors"]) == ["sku"]
    assert not Gift.objects.exists()
    assert balance(brand["partner"]) == Decimal("5000.00")
    assert stock(sku) == 10


@pytest.mark.parametrize("value", ["sku_999999", "999999", "prod_1", ""])
def test_an_unknown_or_malformed_sku_is_422(brand, value) -> None:
    response = brand["api"].post("/api/v1/gifts/", {"sku": value, "sender_name": "Brand"})
    problem = assert_problem(response, 422, "validation")
    assert "sku" in problem["errors"]


def test_a_unit_price_above_the_gift_limit_is_422(brand, settings) -> None:
    settings.GIFT_MAX_UNIT_PRICE = Decimal("50.00")
    sku = SkuFactory(price=Decimal("50.01"))
    problem = assert_problem(send_gift(brand["api"], sku), 422, "validation")
    assert "50.00" in problem["errors"]["sku"][0]
    assert not Gift.objects.exists()
    assert balance(brand["partner"]) == Decimal("5000.00")


def test_a_unit_price_at_the_gift_limit_is_accepted(brand, settings) -> None:
    settings.GIFT_MAX_UNIT_PRICE = Decimal("50.00")
    assert send_gift(brand["api"], SkuFactory(price=Decimal("50.00"))).status_code == 201


@pytest.mark.parametrize("quantity", [0, -1, 101, "two"])
def test_a_quantity_outside_1_to_100_is_422(brand, sku, quantity) -> None:
    problem = assert_problem(send_gift(brand["api"], sku, quantity=quantity), 422, "validation")
    assert list(problem["errors"]) == ["quantity"]
    assert not Gift.objects.exists()


def test_a_quantity_of_100_is_accepted(client) -> None:
    _, api = api_for(client, "Big", balance="100000.00")
    sku = SkuFactory(price=Decimal("10.00"), stock=100)
    data = body(send_gift(api, sku, quantity=100))
    assert (data["units"], data["amount"]["value"]) == (100, "1000.00")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sender_name": ""}, "sender_name"),
        ({"sender_name": "x" * 31}, "sender_name"),
        ({"message": "字" * 1000}, "message"),
        ({"allow_variant_choice": "perhaps"}, "allow_variant_choice"),
    ],
    ids=["blank-sender", "long-sender", "long-message", "not-a-boolean"],
)
def test_other_invalid_fields_are_422(brand, sku, change, field) -> None:
    problem = assert_problem(send_gift(brand["api"], sku, **change), 422, "validation")
    assert field in problem["errors"]
    assert not Gift.objects.exists()


def test_a_short_balance_is_402_and_nothing_is_kept(client) -> None:
    partner, api = api_for(client, "Poor", balance="250.00")
    sku = SkuFactory(price=Decimal("100.00"), stock=5)
    problem = assert_problem(send_gift(api, sku, quantity=3), 402, "insufficient-balance")
    assert "300.00" in problem["detail"] and "250.00" in problem["detail"]
    assert not Gift.objects.exists()
    assert not Payment.objects.filter(purpose=Payment.Purpose.GIFT).exists()
    assert stock(sku) == 5
    assert balance(partner) == Decimal("250.00")
    assert list(BalanceEntry.objects.filter(partner=partner).values_list("kind", flat=True)) == [
        "top_up"
    ]


def test_a_balance_of_exactly_the_amount_is_enough(client) -> None:
    partner, api = api_for(client, "Exact", balance="300.00")
    sku = SkuFactory(price=Decimal("100.00"), stock=5)
    assert send_gift(api, sku, quantity=3).status_code == 201
    assert balance(partner) == Decimal("0.00")


def test_out_of_stock_is_409_and_charges_nothing(brand) -> None:
    sku = SkuFactory(price=Decimal("100.00"), stock=2)
    assert_problem(send_gift(brand["api"], sku, quantity=3), 409, "conflict")
    assert not Gift.objects.exists()
    assert stock(sku) == 2
    assert balance(brand["partner"]) == Decimal("5000.00")


# --- Statuses ---------------------------------------------------------------------------


@pytest.fixture
def every_status(brand, client) -> dict:
    """A gift in each status a partner follows, keyed by it."""
    api = brand["api"]
    made = {}

    def new() -> Gift:
        sku = SkuFactory(price=Decimal("100.00"), stock=5)
        return gift_of(body(send_gift(api, sku)))

    made["awaiting_recipient"] = new()
    made["accepted"] = new()
    claim(made["accepted"])
    made["shipped"] = new()
    orders.order_ship(order=claim(made["shipped"]).order, carrier="顺丰", tracking_number="SF1")
    made["delivered"] = new()
    order = claim(made["delivered"]).order
    orders.order_ship(order=order, carrier="顺丰", tracking_number="SF2")
    orders.order_mark_delivered(order=order)
    made["declined"] = new()
    gifting.gift_decline(gift=made["declined"])
    made["cancelled"] = new()
    gifting.gift_cancel(gift=made["cancelled"])
    made["expired"] = new()
    Gift.objects.filter(pk=made["expired"].pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert gifting.gifts_expire_due() == 1
    made["refunded"] = new()
    gifting.gift_cancel(gift=made["refunded"])
    execute_refunds(made["refunded"])
    return {status: f"gift_{gift.pk}" for status, gift in made.items()}


STATUSES = [
    "awaiting_recipient",
    "accepted",
    "shipped",
    "delivered",
    "declined",
    "cancelled",
    "expired",
    "refunded",
]


@pytest.mark.parametrize("status", STATUSES)
def test_the_gift_list_filters_by_each_status(brand, every_status, status) -> None:
    page = body(brand["api"].get("/api/v1/gifts/", status=status))
    assert [g["id"] for g in page["results"]] == [every_status[status]]
    assert page["results"][0]["status"] == status


@pytest.mark.parametrize("status", STATUSES)
def test_a_gift_shows_its_status(brand, every_status, status) -> None:
    assert body(brand["api"].get(f"/api/v1/gifts/{every_status[status]}/"))["status"] == status


def test_the_unfiltered_list_has_every_gift(brand, every_status) -> None:
    page = body(brand["api"].get("/api/v1/gifts/"))
    assert {g["id"] for g in page["results"]} == set(every_status.values())


def test_a_gift_past_its_deadline_is_expired_without_a_claim_url_before_the_sweep(
    brand, sku
) -> None:
    data = body(send_gift(brand["api"], sku))
    Gift.objects.filter(pk=gift_of(data).pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    after = body(brand["api"].get(f"/api/v1/gifts/{data['id']}/"))
    assert (after["status"], after["claim_url"]) == ("expired", None)
    expired = body(brand["api"].get("/api/v1/gifts/", status="expired"))["results"]
    waiting = body(brand["api"].get("/api/v1/gifts/", status="awaiting_recipient"))["results"]
    assert ([g["id"] for g in expired], waiting) == ([data["id"]], [])


@pytest.mark.parametrize("value", ["lost", "pending_payment", "abandoned", "Accepted"])
def test_an_unknown_status_filter_is_422(brand, value) -> None:
    problem = assert_problem(brand["api"].get("/api/v1/gifts/", status=value), 422, "validation")
    assert list(problem["errors"]) == ["status"]


@pytest.mark.parametrize("how", ["declined", "expired", "cancelled"])
def test_a_closed_gift_is_refunded_to_the_balance(brand, every_status, how) -> None:
    gift = Gift.objects.get(pk=int(every_status[how].removeprefix("gift_")))
    before = balance(brand["partner"])
    execute_refunds(gift)
    assert balance(brand["partner"]) == before + Decimal("100.00")
    data = body(brand["api"].get(f"/api/v1/gifts/{every_status[how]}/"))
    assert data["status"] == "refunded"
    assert data["refunded_amount"] == {"value": "100.00", "currency": "CNY"}


# --- Detail: timeline, shipments, and never the recipient -------------------------------


def test_a_gift_has_its_timeline_and_shipments(brand, sku) -> None:
    data = body(send_gift(brand["api"], sku, quantity=2))
    gift = gift_of(data)
    order = claim(gift).order
    orders.order_ship(order=order, carrier="顺丰速运", tracking_number="SF99")
    detail = body(brand["api"].get(f"/api/v1/gifts/{data['id']}/"))
    kinds = [event["type"] for event in detail["timeline"]]
    assert kinds[:3] == ["created", "paid", "accepted"]
    assert len(detail["shipments"]) == 1
    shipment = detail["shipments"][0]
    assert (shipment["carrier"], shipment["tracking_number"], shipment["status"]) == (
        "顺丰速运",
        "SF99",
        "shipped",
    )
    assert detail["units_claimed"] == 1
    assert detail["status"] == "awaiting_recipient"  # one unit of two is still waiting


CUSTOM_RECIPIENT = {
    "recipient_name": "欧阳娜娜",
    "phone": "13987654321",
    "street": "莫干山路 777 号 9 幢",
    "district": "拱墅区",
    "postcode": "310011",
}
SECRETS = {
    "default": ["李小红", "13912345678", "1391234", "文三路 1 号 2 单元 301", "2 单元 301"],
    "custom": ["欧阳", "娜娜", "13987654321", "莫干山路", "777 号", "拱墅区", "310011"],
}


@pytest.mark.parametrize("who", ["default", "custom"])
def test_a_gift_never_shows_its_recipients_name_phone_or_address(brand, sku, who) -> None:
    data = body(send_gift(brand["api"], sku, quantity=2))
    claim(gift_of(data), **(CUSTOM_RECIPIENT if who == "custom" else {}))
    for path in (f"/api/v1/gifts/{data['id']}/", "/api/v1/gifts/"):
        text = brand["api"].get(path).content.decode()
        for secret in SECRETS[who]:
            assert secret not in text, (path, secret)


def test_the_gift_accepted_event_never_carries_the_recipient(brand, sku) -> None:
    import json

    from shop.partners.models import WebhookEvent

    brand["api"].post(
        "/api/v1/webhook-endpoints/",
        {"url": "https://hooks.example.com/g", "events": ["gift.accepted"]},
    )
    data = body(send_gift(brand["api"], sku))
    claim(gift_of(data))
    event = WebhookEvent.objects.get(type="gift.accepted")
    assert event.data["id"] == data["id"]
    text = json.dumps(event.data, ensure_ascii=False)
    for secret in SECRETS["default"]:
        assert secret not in text


def test_a_partner_that_only_sent_the_gift_cannot_read_its_recipients_order(brand, sku) -> None:
    data = body(send_gift(brand["api"], sku))
    order = claim(gift_of(data)).order
    assert_problem(brand["api"].get(f"/api/v1/orders/ord_{order.pk}/"), 404, "not-found")
    assert body(brand["api"].get("/api/v1/orders/"))["results"] == []
    assert not AddressAccessLog.objects.exists()


def test_a_partner_managing_the_merchant_reads_the_address_to_ship_and_is_logged(brand) -> None:
    merchant = managed_merchant(brand["partner"])
    data = body(send_gift(brand["api"], SkuFactory(product__merchant=merchant, stock=5)))
    order = claim(gift_of(data)).order
    shown = body(brand["api"].get(f"/api/v1/orders/ord_{order.pk}/"))["shipping_address"]
    assert (shown["recipient_name"], shown["phone"]) == ("李小红", "13912345678")
    assert AddressAccessLog.objects.get(order=order).partner == brand["partner"]
    for secret in SECRETS["default"]:  # still never on the gift itself
        assert secret not in brand["api"].get(f"/api/v1/gifts/{data['id']}/").content.decode()


# --- Cancelling -------------------------------------------------------------------------


def test_cancelling_a_waiting_gift_cancels_it_then_refunds_the_balance(brand, sku) -> None:
    data = body(send_gift(brand["api"], sku, quantity=2))
    assert balance(brand["partner"]) == Decimal("4800.00")
    response = brand["api"].post(f"/api/v1/gifts/{data['id']}/cancel/")
    assert response.status_code == 200, response.content
    assert body(response)["status"] == "cancelled"
    assert stock(sku) == 50
    gift = gift_of(data)
    execute_refunds(gift)
    assert body(brand["api"].get(f"/api/v1/gifts/{data['id']}/"))["status"] == "refunded"
    assert balance(brand["partner"]) == Decimal("5000.00")
    refund = BalanceEntry.objects.get(partner=brand["partner"], kind=BalanceEntry.Kind.REFUND)
    assert refund.amount == Decimal("200.00")


def test_executing_the_refund_twice_credits_once(brand, sku) -> None:
    data = body(send_gift(brand["api"], sku))
    brand["api"].post(f"/api/v1/gifts/{data['id']}/cancel/")
    gift = gift_of(data)
    execute_refunds(gift)
    execute_refunds(gift)
    assert balance(brand["partner"]) == Decimal("5000.00")
    assert BalanceEntry.objects.filter(kind=BalanceEntry.Kind.REFUND).count() == 1


def test_cancelling_a_partly_claimed_gift_refunds_the_unclaimed_units(brand, sku) -> None:
    data = body(send_gift(brand["api"], sku, quantity=3))
    claim(gift_of(data))
    assert body(brand["api"].post(f"/api/v1/gifts/{data['id']}/cancel/"))["status"] == "cancelled"
    execute_refunds(gift_of(data))
    assert balance(brand["partner"]) == Decimal("4900.00")


def test_cancelling_an_accepted_gift_is_409(brand, sku) -> None:
    data = body(send_gift(brand["api"], sku))
    claim(gift_of(data))
    assert_problem(brand["api"].post(f"/api/v1/gifts/{data['id']}/cancel/"), 409, "conflict")
    assert gift_of(data).status == Gift.Status.ACCEPTED
    assert balance(brand["partner"]) == Decimal("4900.00")
    assert not Refund.objects.exists()


def test_cancelling_twice_is_409(brand, sku) -> None:
    data = body(send_gift(brand["api"], sku))
    brand["api"].post(f"/api/v1/gifts/{data['id']}/cancel/")
    assert_problem(brand["api"].post(f"/api/v1/gifts/{data['id']}/cancel/"), 409, "conflict")
    assert Refund.objects.count() == 1


def test_a_cancelled_gifts_link_no_longer_works(brand, sku) -> None:
    data = body(send_gift(brand["api"], sku))
    brand["api"].post(f"/api/v1/gifts/{data['id']}/cancel/")
    visitor = Client(HTTP_ACCEPT_LANGUAGE="en")
    visitor.post(urlsplit(data["claim_url"]).path, CLAIM_FORM)
    assert not GiftClaim.objects.exists()


# --- Shipped and delivered --------------------------------------------------------------


def test_a_gift_is_shipped_then_delivered_with_its_order(brand, sku) -> None:
    data = body(send_gift(brand["api"], sku))
    order = claim(gift_of(data)).order
    path = f"/api/v1/gifts/{data['id']}/"
    assert body(brand["api"].get(path))["status"] == "accepted"
    orders.order_ship(order=order, carrier="顺丰", tracking_number="SF1")
    assert body(brand["api"].get(path))["status"] == "shipped"
    orders.order_mark_delivered(order=order)
    detail = body(brand["api"].get(path))
    assert detail["status"] == "delivered"
    assert detail["shipments"][0]["delivered_at"]


def test_a_shipment_through_the_api_shows_on_the_senders_gift(client, brand) -> None:
    """The merchant's partner ships the claim's order; the brand that sent it sees it."""
    from tests.partners import managed_merchant

    shipper, shipper_api = api_for(client, "Merchant system")
    merchant = managed_merchant(shipper)
    sku = SkuFactory(product=ProductFactory(merchant=merchant), price=Decimal("100.00"))
    data = body(send_gift(brand["api"], sku))
    order = claim(gift_of(data)).order
    response = shipper_api.post(
        f"/api/v1/orders/ord_{order.pk}/shipments/", {"carrier": "顺丰", "tracking_number": "SF7"}
    )
    assert response.status_code == 201
    detail = body(brand["api"].get(f"/api/v1/gifts/{data['id']}/"))
    assert detail["status"] == "shipped"
    assert detail["shipments"][0]["tracking_number"] == "SF7"
    assert_problem(brand["api"].get(f"/api/v1/orders/ord_{order.pk}/"), 404, "not-found")


def test_a_filtered_list_stays_filtered_across_pages(brand, every_status) -> None:
    for _ in range(3):
        send_gift(brand["api"], SkuFactory(price=Decimal("10.00")))
    page = body(brand["api"].get("/api/v1/gifts/", status="awaiting_recipient", limit=2))
    seen = list(page["results"])
    while page["next"]:
        path = page["next"].split("testserver", 1)[1]
        page = body(brand["api"].client.get(path, HTTP_AUTHORIZATION=f"Bearer {brand['api'].key}"))
        seen += page["results"]
    assert len(seen) == 4
    assert {g["status"] for g in seen} == {"awaiting_recipient"}
