"""What the provider browser tests share: sending a gift up to "Pay" (the `phone` and
`tea` fixtures are in conftest.py)."""

from playwright.sync_api import Page, expect

from shop.catalogue.models import Sku
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"


def send_gift(page: Page, sku: Sku) -> None:
    """Log in as a new shopper and send `sku` as a gift, up to pressing Pay."""
    user = UserFactory()
    page.goto("/account/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_have_count(0)
    page.goto(f"/products/{sku.product_id}/")
    page.get_by_role("link", name="Send as a gift").click()
    page.get_by_label("From").fill("小明")
    page.get_by_role("button", name="Pay and get the gift link").click()
