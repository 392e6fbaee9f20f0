"""Packing slips and pick lists: the card in the box, only the merchant's own orders."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from merchants import selectors, slips
from merchants.models import AddressAccessLog, Merchant
from shop.orders.models import Order
from shop.payments.models import Payment
from tests.factories import (
    MerchantFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    SkuFactory,
)
from tests.gifts import CLAIM_FORM, link, live_gift
from tests.merchants.adminforms import action, change_form_data, messages_of
from tests.merchants.world import merchant_user, place_order

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:orders_order_changelist")


def pdf_text(response: object) -> str:
    """The PDF's text as a reader extracts it, after checking it is a PDF at all."""
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)


def slip_url(order: Order) -> str:
    return reverse("admin:orders_order_packing_slip", args=[order.pk])


def gift_order(client: Client, **gift: object) -> Order:
    """A gift accepted by its recipient: the merchant's order that ships it."""
    accepted = live_gift(client, price="99.00", **gift)
    Client(HTTP_ACCEPT_LANGUAGE="en").post(link(accepted), CLAIM_FORM)
    return Order.objects.get(gift_claim__gift=accepted)


def staff_of(merchant: Merchant, language: str = "en") -> Client:
    staff = Client(HTTP_ACCEPT_LANGUAGE=language)
    staff.force_login(merchant_user(merchant))
    return staff


def paid_orders(merchant: Merchant, count: int) -> list[Order]:
    """`count` paid orders of two lines each, written directly: printing is what is tested."""
    sku = SkuFactory(product=ProductFactory(merchant=merchant), code="MUG-1")
    other = SkuFactory(product=ProductFactory(merchant=merchant), code="CUP-2")
    orders = OrderFactory.create_batch(
        count, merchant=merchant, payment__purpose=Payment.Purpose.ORDERS
    )
    for order in orders:
        OrderLineFactory(order=order, sku=sku, quantity=2)
        OrderLineFactory(order=order, sku=other, quantity=1)
    return orders


# --- What a slip says -------------------------------------------------------------------


def test_a_gift_orders_slip_names_the_sender_and_message_and_no_price(client) -> None:
    order = gift_order(client, sender_name="小明", message="生日快乐，记得喝咖啡！")
    text = pdf_text(staff_of(order.merchant).get(slip_url(order)))
    assert "A gift from 小明" in text
    assert "生日快乐，记得喝咖啡！" in text
    assert "99.00" not in text and "¥" not in text


def test_an_orders_slip_lists_items_quantities_and_where_to_deliver_without_prices(
    client,
) -> None:
    sku = SkuFactory(price=Decimal("88.00"), code="TEA-7")
    order = place_order(client, sku, quantity=3)
    text = pdf_text(staff_of(order.merchant).get(slip_url(order)))
    line = order.lines.get()
    assert f"{line.product_title} · {line.sku_label}\nTEA-7\n3\n" in text  # item, SKU, count
    assert order.recipient_name in text and order.street in text
    assert "88.00" not in text and "¥" not in text
    assert "A gift from" not in text


def test_a_gift_slip_asks_for_the_greeting_card_when_the_shop_includes_one(client) -> None:
    order = gift_order(client)
    Merchant.objects.filter(pk=order.merchant_id).update(includes_greeting_card=True)
    text = pdf_text(staff_of(order.merchant).get(slip_url(order)))
    assert "Include a greeting card" in text


def test_a_gift_slip_asks_for_no_card_when_the_shop_includes_none(client) -> None:
    order = gift_order(client)
    text = pdf_text(staff_of(order.merchant).get(slip_url(order)))
    assert "greeting card" not in text


def test_a_senders_markup_is_printed_as_text(client) -> None:
    order = gift_order(client, message="<b>hi</b> & <font size=90>big</font>")
    text = pdf_text(staff_of(order.merchant).get(slip_url(order)))
    assert "<b>hi</b> & <font size=90>big</font>" in text


def test_the_slip_speaks_the_admins_language(client) -> None:
    order = gift_order(client, sender_name="小明")
    text = pdf_text(staff_of(order.merchant, language="zh-hans").get(slip_url(order)))
    assert "装箱单" in text and "来自 小明 的礼物" in text


def test_printing_a_slip_records_an_address_view(client) -> None:
    order = place_order(client, SkuFactory())
    staff = staff_of(order.merchant)
    staff.get(slip_url(order))
    assert AddressAccessLog.objects.filter(order=order).count() == 1


def test_an_unpaid_order_has_no_slip(client) -> None:
    order = place_order(client, SkuFactory(), pay=False)
    response = staff_of(order.merchant).get(slip_url(order), follow=True)
    assert response["Content-Type"].startswith("text/html")
    assert any("nothing to pack" in m for m in messages_of(response))
    assert not AddressAccessLog.objects.exists()


def test_the_order_page_offers_the_slip(client) -> None:
    order = place_order(client, SkuFactory())
    page = staff_of(order.merchant).get(reverse("admin:orders_order_change", args=[order.pk]))
    assert slip_url(order) in page.text


# --- Only the merchant's own orders -------------------------------------------------------


def test_another_shops_slip_is_not_found(client) -> None:
    order = place_order(client, SkuFactory())
    response = staff_of(MerchantFactory()).get(slip_url(order))
    assert response.status_code == 404
    assert not AddressAccessLog.objects.exists()


def test_a_bulk_print_with_a_foreign_order_is_refused_whole(client) -> None:
    own = place_order(client, SkuFactory())
    foreign = place_order(client, SkuFactory())
    staff = staff_of(own.merchant)
    response = action(staff, CHANGELIST, "print_packing_slips", [own.pk, foreign.pk])
    assert response.status_code == 302
    page = staff.get(response["Location"])
    assert "Some of the chosen orders are not your shop's; nothing was printed." in messages_of(
        page
    )
    assert not AddressAccessLog.objects.exists()


def test_a_pick_list_with_a_foreign_order_is_refused(client) -> None:
    own = place_order(client, SkuFactory())
    foreign = place_order(client, SkuFactory())
    with pytest.raises(slips.SlipError, match="not your shop's"):
        selectors.orders_to_print(user=merchant_user(own.merchant), order_ids=[own.pk, foreign.pk])


# --- Bulk --------------------------------------------------------------------------------


def test_the_admin_action_prints_one_slip_per_chosen_order(client) -> None:
    merchant = MerchantFactory()
    orders = paid_orders(merchant, 3)
    response = action(staff_of(merchant), CHANGELIST, "print_packing_slips", [o.pk for o in orders])
    text = pdf_text(response)
    assert text.count("Packing slip") == 3
    assert all(order.number in text for order in orders)
    assert AddressAccessLog.objects.count() == 3


def test_printing_across_the_whole_changelist_prints_the_merchants_orders(client) -> None:
    merchant = MerchantFactory()
    orders = paid_orders(merchant, 2)
    paid_orders(MerchantFactory(), 1)
    response = action(
        staff_of(merchant), CHANGELIST, "print_packing_slips", [orders[0].pk], select_across="1"
    )
    assert pdf_text(response).count("Packing slip") == 2


def test_more_orders_than_one_pdf_holds_are_refused(client) -> None:
    merchant = MerchantFactory()
    too_many = list(range(1, slips.MAX_ORDERS_PER_PDF + 2))
    with pytest.raises(slips.SlipError, match=r"At most 200 orders fit in one PDF; 201 were"):
        selectors.orders_to_print(user=merchant_user(merchant), order_ids=too_many)


def test_the_bound_is_said_in_the_admin(client) -> None:
    merchant = MerchantFactory()
    orders = paid_orders(merchant, 1)
    staff = staff_of(merchant)
    ids = [orders[0].pk, *range(10**9, 10**9 + slips.MAX_ORDERS_PER_PDF)]
    page = staff.get(action(staff, CHANGELIST, "print_pick_list", ids)["Location"])
    assert any("At most 200 orders fit in one PDF" in m for m in messages_of(page))


def test_the_pick_list_adds_up_each_skus_units(client) -> None:
    merchant = MerchantFactory()
    orders = paid_orders(merchant, 4)
    rows = slips.pick_rows(
        selectors.orders_to_print(user=merchant_user(merchant), order_ids=[o.pk for o in orders])
    )
    assert [(row.sku_code, row.quantity) for row in rows] == [("CUP-2", 4), ("MUG-1", 8)]


def test_the_pick_list_pdf_shows_skus_and_totals(client) -> None:
    merchant = MerchantFactory()
    orders = paid_orders(merchant, 2)
    text = pdf_text(
        action(staff_of(merchant), CHANGELIST, "print_pick_list", [o.pk for o in orders])
    )
    assert "Pick list" in text and "MUG-1" in text and "CUP-2" in text
    assert "Orders: 2, units: 6" in text


def _queries_to_print(merchant: Merchant, count: int) -> int:
    orders = paid_orders(merchant, count)
    staff = staff_of(merchant)
    with CaptureQueriesContext(connection) as ctx:
        response = action(staff, CHANGELIST, "print_packing_slips", [o.pk for o in orders])
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_printing_takes_the_same_queries_for_2_and_40_orders(client) -> None:
    assert _queries_to_print(MerchantFactory(), 2) == _queries_to_print(MerchantFactory(), 40)


# --- The shop's switch -------------------------------------------------------------------


def test_staff_switch_on_the_greeting_card_from_their_shops_page(client) -> None:
    merchant = MerchantFactory()
    staff = staff_of(merchant)
    url = reverse("admin:merchants_merchant_change", args=[merchant.pk])
    data = change_form_data(staff.get(url))
    data.update({"includes_greeting_card": "on", "_save": "Save"})
    assert staff.post(url, data).status_code == 302
    merchant.refresh_from_db()
    assert merchant.includes_greeting_card is True
