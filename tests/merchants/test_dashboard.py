"""The admin dashboard: a merchant's own figures, the platform's for operators."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gifting import services as gifting
from gifting.models import Gift
from merchants import dashboard
from shop.orders import services as orders
from shop.payments import services as payments
from tests.factories import CategoryFactory, MerchantFactory, ProductFactory, SkuFactory
from tests.gifts import link, live_gift
from tests.merchants.world import merchant_user, place_order

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/dashboard/"
CLAIM_FORM = {
    "recipient_name": "李小红",
    "phone": "13912345678",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "street": "文三路 1 号",
    "action": "accept",
}


def shop(name: str):
    merchant = MerchantFactory(name=name)
    category = CategoryFactory(commission_rate=Decimal("0.050"))
    sku = SkuFactory(
        product=ProductFactory(merchant=merchant, category=category),
        price=Decimal("100.00"),
        stock=100,
    )
    gift_sku = SkuFactory(
        product=ProductFactory(merchant=merchant, category=category),
        price=Decimal("20.00"),
        stock=100,
    )
    return merchant, sku, gift_sku


def accept(gift: Gift, phone: str = "13912345678") -> None:
    Client(HTTP_ACCEPT_LANGUAGE="en").post(link(gift), {**CLAIM_FORM, "phone": phone})


def expire(gift: Gift) -> None:
    Gift.objects.filter(pk=gift.pk).update(expires_at=timezone.now())
    gifting.gifts_expire_due()


@pytest.fixture
def data(client: Client):
    """Shop A: 2 paid orders, 1 cancelled, 3 gifts (1 accepted, 1 expired, 1 live).
    Shop B: 1 paid order and 1 live gift, which A must never count."""
    a, a_sku, a_gift_sku = shop("甲店")
    b, b_sku, b_gift_sku = shop("乙店")
    place_order(client, a_sku)
    place_order(client, a_sku)
    cancelled = place_order(client, a_sku, pay=False)
    orders.order_cancel(order=cancelled)
    accepted, expired, _live = (live_gift(client, sku=a_gift_sku) for _ in range(3))
    accept(accepted)
    expire(expired)
    place_order(client, b_sku)
    live_gift(client, sku=b_gift_sku)
    return a, b


def test_a_merchant_sees_only_their_own_figures(client, data) -> None:
    a, _ = data
    client.force_login(merchant_user(a))
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    figures = response.context["data"]
    assert figures.merchant == a
    # The accepted gift became a paid order of A's (¥20): 2 + 1 orders, ¥220 of sales.
    for period in figures.periods:
        assert (period.sales, period.orders) == (Decimal("220.00"), 3)
        assert period.commission == Decimal("11.00")
        assert period.refunds == Decimal("0.00")
        assert period.net == Decimal("209.00")
        assert (period.gifts_sent, period.gifts_accepted, period.gifts_expired) == (3, 1, 1)
    assert figures.to_ship == 3
    assert [p.days for p in figures.periods] == [7, 30]
    # The page names shops as the reader's language does (English here).
    b_name = data[1].display_name
    assert a.display_name in response.text and b_name not in response.text
    assert "¥220.00" in response.text and "¥209.00" in response.text


def test_the_daily_series_has_todays_sales(client, data) -> None:
    a, _ = data
    figures = dashboard.dashboard(merchant=a)
    assert len(figures.daily_sales) == 30
    assert figures.daily_sales[-1] == (timezone.localdate(), Decimal("220.00"))
    assert all(value == 0 for _, value in figures.daily_sales[:-1])


def test_an_operator_sees_the_platform_totals(client, operator, data) -> None:
    client.force_login(operator)
    response = client.get(DASHBOARD)
    figures = response.context["data"]
    assert figures.merchant is None
    assert "The whole platform" in response.text
    for period in figures.periods:
        assert (period.sales, period.orders) == (Decimal("320.00"), 4)
        assert (period.gifts_sent, period.gifts_accepted, period.gifts_expired) == (4, 1, 1)
        assert period.commission == Decimal("16.00")
    assert figures.to_ship == 4


def test_refunds_are_taken_off_the_net(client, data) -> None:
    a, _ = data
    order = a.orders.filter(status="paid", gift_claim__isnull=True).first()
    request = orders.refund_request_create(order=order, amount=Decimal("30.00"), reason="x")
    payments.refund_execute(refund_id=orders.refund_request_approve(request=request).pk)
    period = dashboard.dashboard(merchant=a).periods[0]
    assert period.refunds == Decimal("30.00")
    assert period.net == Decimal("220.00") - Decimal("30.00") - Decimal("11.00")


def test_old_sales_fall_out_of_the_7_day_period(client, data) -> None:
    a, _ = data
    order = a.orders.filter(status="paid").first()
    type(order).objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=10))
    week, month = dashboard.dashboard(merchant=a).periods
    assert week.orders == 2 and month.orders == 3


def test_the_page_renders_an_svg_chart(client, data) -> None:
    a, _ = data
    client.force_login(merchant_user(a))
    response = client.get(DASHBOARD)
    assert "<svg" in response.text and "</svg>" in response.text
    assert response.text.count("<rect") == 30
    assert "¥220.00</title>" in response.text
    assert "<script" not in response.text.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_the_svg_chart_with_no_sales_draws_empty_bars() -> None:
    svg = dashboard.bar_chart_svg([(timezone.localdate(), Decimal("0"))])
    assert svg.startswith("<svg") and 'height="0.0"' in svg


def test_the_admin_home_page_is_the_merchants_dashboard(client, data) -> None:
    a, _ = data
    client.force_login(merchant_user(a))
    response = client.get(reverse("admin:index"))
    assert response.context["data"].merchant == a
    assert "¥220.00" in response.text and "<svg" in response.text and "乙店" not in response.text


def test_shoppers_and_visitors_are_sent_to_the_admin_login(client) -> None:
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def _queries(client: Client) -> int:
    """Queries for one dashboard page (session and user included)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(DASHBOARD).status_code == 200
    return len(captured)


@pytest.mark.parametrize("who", ["merchant", "operator"])
def test_the_query_count_does_not_grow_with_the_data(client, operator, who) -> None:
    a, sku, gift_sku = shop("甲店")
    client.force_login(merchant_user(a) if who == "merchant" else operator)
    place_order(client, sku)
    few = _queries(client)
    for n in range(4):
        place_order(client, sku)
        gift = live_gift(client, sku=gift_sku)
        if n % 2:
            accept(gift, phone=f"1391234567{n}")
        else:
            expire(gift)
    many = _queries(client)
    assert many == few
    # Operators' page adds one count for each queue waiting for them (platform_queues).
    assert many <= (12 if who == "merchant" else 12 + len(dashboard.platform_queues()))


def test_a_partly_refunded_order_still_to_ship_is_counted(client) -> None:
    merchant, sku, _ = shop("甲店")
    order = place_order(client, sku)
    request = orders.refund_request_create(order=order, amount=Decimal("10.00"), reason="差价")
    payments.refund_execute(refund_id=orders.refund_request_approve(request=request).pk)
    assert dashboard.dashboard(merchant=merchant).to_ship == 1


def _two_places(value: object) -> bool:
    return isinstance(value, Decimal) and value.as_tuple().exponent == -2


def test_every_money_figure_is_a_decimal_with_two_places(client, data) -> None:
    a, _ = data
    for merchant in (a, None):
        figures = dashboard.dashboard(merchant=merchant)
        for period in figures.periods:
            money = [period.sales, period.commission, period.refunds, period.net]
            assert all(_two_places(value) for value in money), money
        assert all(_two_places(value) for _, value in figures.daily_sales)


def test_the_page_shows_money_as_yuan_with_two_places(client, data) -> None:
    a, _ = data
    client.force_login(merchant_user(a))
    response = client.get(DASHBOARD)
    assert "<td>¥0.00</td>" in response.text  # refunds
    assert "<td>¥11.00</td>" in response.text  # commission
    assert "¥0.00</title>" in response.text  # a day without sales


def test_a_gift_past_its_deadline_counts_as_expired_before_the_sweep(client) -> None:
    merchant, _, gift_sku = shop("甲店")
    gift = live_gift(client, sku=gift_sku)
    Gift.objects.filter(pk=gift.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert dashboard.dashboard(merchant=merchant).periods[0].gifts_expired == 1


def test_the_to_ship_link_lists_the_orders_counted(client) -> None:
    merchant, sku, _ = shop("甲店")
    to_ship = place_order(client, sku)
    partly = place_order(client, sku)
    request = orders.refund_request_create(order=partly, amount=Decimal("10.00"), reason="差价")
    payments.refund_execute(refund_id=orders.refund_request_approve(request=request).pk)
    place_order(client, sku, pay=False)
    client.force_login(merchant_user(merchant))
    response = client.get(reverse("admin:orders_order_changelist") + dashboard.TO_SHIP_QUERY)
    assert response.status_code == 200
    listed = {order.pk for order in response.context["cl"].result_list}
    assert listed == {to_ship.pk, partly.pk}
    assert dashboard.dashboard(merchant=merchant).to_ship == len(listed)
