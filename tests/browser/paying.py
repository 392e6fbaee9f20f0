"""What the provider browser tests share: sending a gift, or checking out a cart, up to
"Pay" (the `phone` and `tea` fixtures are in conftest.py)."""

from playwright.sync_api import Page, expect

from shop.catalogue.models import Sku
from shop.orders.models import Order
from tests.factories import AddressFactory, UserFactory

PASSWORD = "correct-horse-battery"


def _log_in(page: Page) -> None:
    user = UserFactory()
    AddressFactory(user=user, is_default=True)
    page.goto("/account/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_have_count(0)


def send_gift(page: Page, sku: Sku) -> None:
    """Log in as a new shopper and send `sku` as a gift, up to pressing Pay."""
    _log_in(page)
    page.goto(f"/products/{sku.product_id}/")
    page.get_by_role("link", name="Send as a gift").click()
    page.get_by_label("From").fill("小明")
    page.get_by_role("button", name="Pay and get the gift link").click()


def check_out(page: Page, sku: Sku) -> None:
    """Log in as a new shopper with a saved address and buy one `sku`, up to pressing Pay."""
    _log_in(page)
    page.goto(f"/products/{sku.product_id}/")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status")).to_contain_text("Added to your cart.")
    page.goto("/orders/checkout/")
    page.get_by_role("button", name="Place order and pay").click()


def expect_paid(page: Page, sku: Sku) -> None:
    """Back on the shop's payment page, once the provider's notification arrived."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, your payment arrived")
    assert Order.objects.get(lines__sku=sku).status == Order.Status.PAID
