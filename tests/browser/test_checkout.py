"""A shopper on a phone checks out a two-shop cart and pays on the sandbox's hosted page.

The orders are marked paid only by the sandbox's signed server-to-server notification,
which a real Celery worker (`celery_worker`) POSTs to the notify URL stored with the
charge. That URL is built from SITE_URL at checkout, so SITE_URL points at the live server.
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from shop.accounts.models import Address, User
from shop.catalogue.models import Sku, StockRecord
from shop.orders.models import Order
from shop.payments.models import Payment, PaymentNotification
from shop.sandbox.models import SandboxNotification
from tests.factories import AddressFactory, MerchantFactory, ProductFactory, SkuFactory, UserFactory

PASSWORD = "correct-horse-battery"
# The payment page refreshes every 2 s while it waits; the worker notifies within a second.
PAYMENT_TIMEOUT_MS = 20_000


@dataclass
class Basket:
    tote: Sku  # ¥129.00 from Cloth Corner, bought twice
    tea: Sku  # ¥59.00 from Tea House, bought once
    total: str = "¥317.00"


@pytest.fixture
def shop_site(settings: object, server_url: str, celery_worker: object) -> str:
    """Return and notify URLs point at the live server; the worker delivers notifications."""
    settings.SITE_URL = server_url  # type: ignore[attr-defined]
    return server_url


@pytest.fixture
def basket() -> Basket:
    tote = ProductFactory(
        merchant=MerchantFactory(name="布艺小铺", name_en="Cloth Corner"),
        title="帆布托特包",
        title_en="Canvas Tote Bag",
    )
    tea = ProductFactory(
        merchant=MerchantFactory(name="茶舍", name_en="Tea House"),
        title="龙井茶",
        title_en="Longjing Green Tea",
    )
    return Basket(
        tote=SkuFactory(product=tote, attributes={"colour": "本色"}, price="129.00", stock=5),
        tea=SkuFactory(product=tea, attributes={"size": "100g"}, price="59.00", stock=4),
    )


def _screenshot(page: Page, path: Path) -> None:
    """Full page from the top: scrolled, the sticky header would cover the heading."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=path, full_page=True)


def _log_in(page: Page, user: User) -> None:
    page.goto("/account/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Account", exact=True)).to_be_visible()


def _add_to_cart(page: Page, sku: Sku, quantity: int) -> None:
    page.goto(f"/products/{sku.product_id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(sku.product.title_en)
    page.get_by_role("spinbutton", name="Quantity").fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status")).to_contain_text("Added to your cart.")


def _fill_cart_and_check_out(page: Page, basket: Basket) -> None:
    _add_to_cart(page, basket.tote, 2)
    _add_to_cart(page, basket.tea, 1)
    page.get_by_role("link", name="Cart", exact=True).click()
    expect(page.locator(".cart__line")).to_have_count(2)
    page.get_by_role("link", name="Checkout").click()

    expect(page).to_have_url(re.compile(r"/orders/checkout/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
    for shop, item, subtotal in (
        ("Cloth Corner", "Canvas Tote Bag · 本色 × 2", "¥258.00"),
        ("Tea House", "Longjing Green Tea · 100g × 1", "¥59.00"),
    ):
        panel = page.locator("section.panel").filter(
            has=page.get_by_role("heading", name=shop, exact=True)
        )
        expect(panel.locator(".summary li")).to_have_text(re.compile(re.escape(item)))
        expect(panel.locator(".subtotal")).to_contain_text(subtotal)
    expect(page.get_by_text("This becomes 2 orders, one per shop, paid together.")).to_be_visible()
    expect(page.locator("#checkout-total")).to_have_text(basket.total)


def _expect_sandbox_page(page: Page, total: str) -> None:
    expect(page).to_have_url(re.compile(r"/sandbox/pay/ch_[0-9a-f]+/$"))
    expect(page).to_have_title("Sandbox Pay")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sandbox Pay")
    expect(page.locator(".price")).to_have_text(total)


def _expect_order_statuses(page: Page, status: str) -> None:
    orders = page.locator("ul.orders > li")
    expect(orders).to_have_count(2)
    expect(orders.filter(has_text="Cloth Corner").locator(".status")).to_have_text(status)
    expect(orders.filter(has_text="Tea House").locator(".status")).to_have_text(status)
    expect(orders.filter(has_text="Cloth Corner").locator(".price")).to_have_text("¥258.00")
    expect(orders.filter(has_text="Tea House").locator(".price")).to_have_text("¥59.00")


def _expect_paid(page: Page, basket: Basket) -> None:
    """The shop's payment page, after the worker delivered the sandbox's notification."""
    expect(page).to_have_url(re.compile(r"/orders/payment/P\w+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, your payment arrived", timeout=PAYMENT_TIMEOUT_MS
    )
    expect(page.locator("main > p .price")).to_have_text(basket.total)
    _expect_order_statuses(page, "Paid")
    expect(page.get_by_role("button", name="Pay now")).to_have_count(0)


def _assert_paid_in_db(user: User, basket: Basket, *, failed_payments: int = 0) -> Payment:
    orders = list(Order.objects.filter(user=user).select_related("merchant", "payment"))
    assert sorted((o.merchant.name_en, o.status, o.total) for o in orders) == [
        ("Cloth Corner", Order.Status.PAID, Decimal("258.00")),
        ("Tea House", Order.Status.PAID, Decimal("59.00")),
    ]
    paid = Payment.objects.get(user=user, status=Payment.Status.SUCCEEDED)
    assert paid.amount == Decimal("317.00")
    assert {o.payment_id for o in orders} == {paid.pk}
    statuses = sorted(Payment.objects.filter(user=user).values_list("status", flat=True))
    assert statuses == [Payment.Status.FAILED] * failed_payments + [Payment.Status.SUCCEEDED]
    _assert_stock_taken(basket)
    # Delivered once each by the worker, and applied once each by the notify view.
    notifications = SandboxNotification.objects.all()
    assert [(n.attempts, n.delivered_at is not None) for n in notifications] == [(1, True)] * (
        1 + failed_payments
    )
    assert PaymentNotification.objects.count() == 1 + failed_payments
    return paid


def _assert_stock_taken(basket: Basket) -> None:
    stock = dict(StockRecord.objects.values_list("sku_id", "quantity"))
    assert stock == {basket.tote.pk: 5 - 2, basket.tea.pk: 4 - 1}


def test_shopper_pays_two_shops_at_once_with_the_saved_default_address(
    page: Page, shop_site: str, basket: Basket, tmp_path: Path
) -> None:
    user = UserFactory()
    AddressFactory(user=user, recipient_name="王五", street="延安路 1 号", is_default=False)
    home = AddressFactory(
        user=user, recipient_name="张三", phone="13800000001", street="文三路 8 号", is_default=True
    )

    _log_in(page, user)
    _fill_cart_and_check_out(page, basket)

    saved = page.get_by_role("radio", name=re.compile("张三"))
    expect(saved).to_be_checked()
    expect(page.get_by_role("radio", name=re.compile("王五"))).not_to_be_checked()
    # The new-address form only shows when "A new address" is chosen.
    expect(page.get_by_role("group", name="New address")).to_be_hidden()
    _screenshot(page, tmp_path / "1-checkout.png")

    page.get_by_role("button", name="Place order and pay").click()

    _expect_sandbox_page(page, basket.total)
    _screenshot(page, tmp_path / "2-sandbox.png")

    page.get_by_role("button", name="Confirm payment").click()

    _expect_paid(page, basket)
    _screenshot(page, tmp_path / "3-payment-paid.png")

    paid = _assert_paid_in_db(user, basket)
    for order in Order.objects.filter(payment=paid):
        assert (order.recipient_name, order.phone, order.street) == (
            home.recipient_name,
            home.phone,
            home.street,
        )
    assert Address.objects.filter(user=user).count() == 2  # nothing new saved


def test_declined_payment_can_be_paid_again_after_entering_a_new_address(
    page: Page, shop_site: str, basket: Basket, tmp_path: Path
) -> None:
    user = UserFactory()
    AddressFactory(user=user, recipient_name="张三", is_default=True)

    _log_in(page, user)
    _fill_cart_and_check_out(page, basket)

    page.get_by_role("radio", name="A new address").check()
    new_address = page.get_by_role("group", name="New address")
    expect(new_address).to_be_visible()
    # By role: the labels' required-field asterisks are aria-hidden, so not in the names.
    new_address.get_by_role("textbox", name="Name", exact=True).fill("李四")
    new_address.get_by_role("textbox", name="Phone").fill("139 1234 5678")
    new_address.get_by_role("combobox", name="Province").select_option(label="Zhejiang")
    new_address.get_by_role("combobox", name="City").select_option(value="宁波市")
    new_address.get_by_role("combobox", name="District").select_option(value="鄞州区")
    new_address.get_by_role("textbox", name="Address", exact=True).fill("天童南路 588 号")
    expect(new_address.get_by_role("checkbox", name="Save to my address book")).to_be_checked()
    _screenshot(page, tmp_path / "1-checkout-new-address.png")

    page.get_by_role("button", name="Place order and pay").click()

    _expect_sandbox_page(page, basket.total)
    page.get_by_role("button", name="Decline").click()

    expect(page).to_have_url(re.compile(r"/orders/payment/P\w+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "The payment did not go through", timeout=PAYMENT_TIMEOUT_MS
    )
    expect(page.get_by_text("Nothing was charged. You can try again.")).to_be_visible()
    _expect_order_statuses(page, "Awaiting payment")
    _screenshot(page, tmp_path / "2-payment-declined.png")

    orders = Order.objects.filter(user=user)
    assert sorted(orders.values_list("status", flat=True)) == [Order.Status.PENDING_PAYMENT] * 2
    declined = Payment.objects.get(user=user)
    assert declined.status == Payment.Status.FAILED
    _assert_stock_taken(basket)  # still reserved for the unpaid orders

    page.get_by_role("button", name="Pay now").click()

    _expect_sandbox_page(page, basket.total)
    page.get_by_role("button", name="Confirm payment").click()

    _expect_paid(page, basket)
    assert declined.reference not in page.url
    paid = _assert_paid_in_db(user, basket, failed_payments=1)
    assert paid.pk != declined.pk
    for order in Order.objects.filter(payment=paid):
        assert (order.recipient_name, order.phone, order.province, order.street) == (
            "李四",
            "13912345678",
            "浙江省",
            "天童南路 588 号",
        )
    assert Address.objects.filter(user=user, recipient_name="李四", city="宁波市").exists()


def test_first_time_buyer_sees_the_new_address_form(page: Page, basket: Basket) -> None:
    _log_in(page, UserFactory())
    _fill_cart_and_check_out(page, basket)

    expect(page.get_by_role("radio")).to_have_count(0)
    expect(page.locator("input[type=hidden][name=address]")).to_have_value("new")
    fieldset = page.locator("fieldset.new-address")
    expect(fieldset).to_have_count(1)
    expect(fieldset).to_be_visible(timeout=1_000)
