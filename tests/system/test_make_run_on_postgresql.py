"""`make run` on PostgreSQL and Redis with seed_demo: a partner's gift nobody claims comes
back to the balance; a shopper's gift is paid, claimed on a phone and shipped in the admin;
a two-shop cart is paid at once; and at the end the books reconcile, nothing logged an
error and nothing was written into the project. Everything goes through HTTP, a browser or
manage.py, as people and partners do.
"""

import re
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

import pytest
from playwright.sync_api import Page, expect

from shop.core.money import format_cny

from .conftest import Browsers
from .partner_api import PartnerApi, assert_an_unclaimed_gift_is_refunded, in_stock, issue_key
from .stack import Stack, assert_reconciled_and_quiet, assert_the_project_is_untouched

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
# From the press on "Confirm payment": the worker delivers the sandbox's notification,
# and the page waiting for it refreshes every 3 s.
PAYMENT_TIMEOUT_MS = 20_000
RECIPIENT = {
    "name": "系统测试收件人",
    "phone": "139 1234 5678",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "street": "文三路 478 号 2 单元 301",
}
T = TypeVar("T")
_LOGIN = re.compile(r"^\s+(shopper|operator|merchant)\s+(\S+@\S+) / (\S+)", re.MULTILINE)


@pytest.fixture(scope="module")
def logins(postgres_stack: Stack) -> dict[str, tuple[str, str]]:
    """The demo logins, read from what seed_demo printed during `make run`."""
    found = {
        who: (email, password) for who, email, password in _LOGIN.findall(postgres_stack.output())
    }
    assert {"shopper", "merchant"} <= set(found), (
        f"seed_demo did not print the shopper's and merchant's logins:\n{postgres_stack.tail()}"
    )
    return found


@pytest.fixture(scope="module")
def catalogue(postgres_stack: Stack) -> PartnerApi:
    """A partner's key, for reading the public catalogue to pick products."""
    return issue_key(postgres_stack, "System test catalogue reader", top_up="1.00")


def _log_in(page: Page, email: str, password: str) -> None:
    page.goto("/account/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_have_count(0)


def _admin_log_in(page: Page, email: str, password: str) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("input[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def _giftable_product_of(merchant: Page, catalogue: PartnerApi) -> tuple[int, dict]:
    """A listed product of the merchant's own shop (its admin shows only those) that can be
    sent as a gift and has a SKU in stock: its id and that SKU."""
    merchant.goto("/admin/catalogue/product/?status__exact=listed")
    links = merchant.locator("#result_list tbody tr th a")
    expect(links.first).to_be_visible()
    for href in links.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        product_id = int(re.search(r"/product/(\d+)/change/", href)[1])
        answer = catalogue.get(f"/api/v1/products/prod_{product_id}/")
        if answer.status == 200 and answer.body["giftable"]:
            sku = in_stock(answer.body, at_most=Decimal("10000.00"))
            if sku is not None:
                return product_id, sku
    raise AssertionError("The demo merchant's shop has no giftable product in stock.")


def _sku_pk(sku: dict) -> str:
    return sku["id"].removeprefix("sku_")


def _fits(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0, f"{page.url} is {overflow}px wider than the phone"


def test_a_partner_gift_nobody_claims_is_expired_and_refunded_to_the_balance(
    postgres_stack: Stack,
) -> None:
    assert_an_unclaimed_gift_is_refunded(postgres_stack)


def test_a_web_gift_is_paid_claimed_on_a_phone_and_shipped_by_the_merchant(
    postgres_stack: Stack, browsers: Browsers, logins: dict, catalogue: PartnerApi
) -> None:
    merchant = browsers.open("merchant", **DESKTOP)
    _admin_log_in(merchant, *logins["merchant"])
    product_id, sku = _giftable_product_of(merchant, catalogue)

    sender = browsers.open("sender", **PHONE)
    _log_in(sender, *logins["shopper"])
    sender.goto(f"/products/{product_id}/")
    sender.get_by_role("link", name="Send as a gift").click()
    expect(sender).to_have_url(re.compile(rf"/gifts/send/{product_id}/$"))
    sender.locator(f"input[name=sku][value='{_sku_pk(sku)}']").check()
    sender.get_by_label("From").fill("小明")
    sender.get_by_label("Message").fill("生日快乐！")
    sender.get_by_role("button", name="Pay and get the gift link").click()
    expect(sender).to_have_url(re.compile(r"/sandbox/pay/ch_[0-9a-f]+/$"))
    expect(sender.locator(".price")).to_have_text(format_cny(Decimal(sku["price"]["value"])))
    sender.get_by_role("button", name="Confirm payment").click()
    expect(sender).to_have_url(re.compile(r"/gifts/sent/\d+/$"))
    link = sender.locator("#claim-link")
    expect(link).to_be_visible(timeout=PAYMENT_TIMEOUT_MS)
    claim_url = link.input_value()
    assert claim_url.startswith(f"{postgres_stack.url}/g/"), claim_url

    recipient = browsers.open("recipient", **PHONE)
    recipient.goto(claim_url)
    expect(recipient.locator(".gift-card")).to_contain_text("A gift from 小明")
    recipient.get_by_role("textbox", name="Name", exact=True).fill(RECIPIENT["name"])
    recipient.get_by_role("textbox", name="Phone").fill(RECIPIENT["phone"])
    recipient.get_by_role("combobox", name="Province").select_option(value=RECIPIENT["province"])
    recipient.get_by_role("combobox", name="City").select_option(value=RECIPIENT["city"])
    recipient.get_by_role("combobox", name="District").select_option(value=RECIPIENT["district"])
    recipient.get_by_role("textbox", name="Address", exact=True).fill(RECIPIENT["street"])
    recipient.locator("#claim-sms-consent input[type=checkbox]").check()
    _fits(recipient)
    recipient.get_by_role("button", name="Accept gift").click()
    expect(recipient.get_by_role("heading", name="You accepted this gift")).to_be_visible()
    browsers.screenshot(recipient, "recipient-accepted")

    merchant.goto("/admin/orders/order/?status__exact=paid")
    newest = merchant.locator("#result_list tbody tr").first
    newest.get_by_role("link", name="Address and shipping").click()
    deliver_to = merchant.locator("#content .module").first
    expect(deliver_to).to_contain_text(RECIPIENT["name"])
    expect(deliver_to).to_contain_text(RECIPIENT["street"])
    tracking = f"SF{uuid.uuid4().int % 10**12:012d}"
    merchant.locator("#id_carrier").fill("顺丰速运")
    merchant.locator("#id_tracking_number").fill(tracking)
    merchant.get_by_role("button", name="Mark shipped").click()
    expect(merchant.locator(".messagelist")).to_contain_text("Shipped.")

    recipient.reload()
    expect(recipient.locator("#claim-result")).to_contain_text(f"Shipped · 顺丰速运 {tracking}")
    sender.reload()
    accepted_by = sender.locator("section.panel").filter(has_text="Accepted by")
    expect(accepted_by).to_contain_text("Shipped")

    # The recipient's text (the console backend prints it) carries the private tracking
    # link, which shows the shipment on a device that never saw the claim page.
    text = _wait_for(lambda: _sms_with(postgres_stack, tracking))
    tracking_url = re.search(rf"{re.escape(postgres_stack.url)}/t/\S+", text)
    assert tracking_url, text
    elsewhere = browsers.open("recipient-laptop", **DESKTOP)
    elsewhere.goto(tracking_url.group(0))
    expect(elsewhere.locator("main")).to_contain_text(tracking)
    # And the sender heard of each step, once, by email.
    kinds = _wait_for(lambda: _sent_notices(postgres_stack, "gift_shipped"))
    assert {"gift_accepted", "gift_shipped"} <= kinds, kinds
    assert not browsers.problems, browsers.problems


def _wait_for(found: Callable[[], T | None], seconds: float = 30) -> T:
    deadline = time.monotonic() + seconds
    while (value := found()) is None:
        assert time.monotonic() < deadline, f"not within {seconds} s"
        time.sleep(0.5)
    return value


def _sms_with(stack: Stack, needle: str) -> str | None:
    for message in stack.output().split("SMS to ")[1:]:
        if needle in message:
            return message
    return None


def _sent_notices(stack: Stack, awaited: str) -> set[str] | None:
    """The kinds of email notices sent so far, once `awaited` is among them."""
    shell = stack.manage(
        "shell",
        "-c",
        "from shop.notices.models import Notice; "
        "print(*Notice.objects.filter(channel='email', status='sent')"
        ".values_list('kind', flat=True).distinct())",
    )
    kinds = set(shell.stdout.split())
    return kinds if awaited in kinds else None


def test_a_cart_from_two_merchants_is_paid_in_one_payment_and_both_orders_show_paid(
    postgres_stack: Stack, browsers: Browsers, logins: dict, catalogue: PartnerApi
) -> None:
    picks: dict[str, tuple[dict, dict]] = {}
    for product in catalogue.pages("/api/v1/products/"):
        sku = in_stock(product, at_most=Decimal("2000.00"), units=2)
        if product["status"] == "listed" and sku and product["merchant"] not in picks:
            picks[product["merchant"]] = (product, sku)
        if len(picks) == 2:
            break
    assert len(picks) == 2, f"The catalogue has products in stock from {len(picks)} merchant(s)"
    total = sum(Decimal(sku["price"]["value"]) for _, sku in picks.values())

    shopper = browsers.open("shopper", **PHONE)
    _log_in(shopper, *logins["shopper"])
    for product, sku in picks.values():
        shopper.goto(f"/products/{product['id'].removeprefix('prod_')}/")
        shopper.locator(f"input[name=sku][value='{_sku_pk(sku)}']").check()
        shopper.get_by_role("spinbutton", name="Quantity").fill("1")
        shopper.get_by_role("button", name="Add to cart").click()
        expect(shopper.get_by_role("status")).to_contain_text("Added to your cart.")
    shopper.get_by_role("link", name="Cart", exact=True).click()
    expect(shopper.locator(".cart__line")).to_have_count(2)
    shopper.get_by_role("link", name="Checkout").click()
    expect(
        shopper.get_by_text("This becomes 2 orders, one per shop, paid together.")
    ).to_be_visible()
    expect(shopper.locator("#checkout-total")).to_have_text(format_cny(total))
    _fits(shopper)
    shopper.get_by_role("button", name="Place order and pay").click()

    expect(shopper).to_have_url(re.compile(r"/sandbox/pay/ch_[0-9a-f]+/$"))
    expect(shopper.locator(".price")).to_have_text(format_cny(total))
    shopper.get_by_role("button", name="Confirm payment").click()
    expect(shopper.get_by_role("heading", level=1)).to_have_text(
        "Thank you, your payment arrived", timeout=PAYMENT_TIMEOUT_MS
    )
    orders = shopper.locator("ul.orders > li")
    expect(orders).to_have_count(2)
    for order in orders.all():
        expect(order.locator(".status")).to_have_text("Paid")
    browsers.screenshot(shopper, "shopper-paid")
    assert not browsers.problems, browsers.problems


def test_the_shoppers_demo_chip_in_is_covered_on_a_phone_and_becomes_a_gift_to_send(
    postgres_stack: Stack, browsers: Browsers, logins: dict
) -> None:
    organiser = browsers.open("organiser", **PHONE)
    _log_in(organiser, *logins["shopper"])
    organiser.goto("/gifts/chip-ins/")
    organiser.locator("ul").first.get_by_role("link").first.click()
    expect(organiser).to_have_url(re.compile(r"/gifts/chip-ins/\d+/$"))
    status = organiser.url
    expect(organiser.locator(".chip-in__status")).to_have_text("Collecting contributions")
    expect(organiser.get_by_label("Chip-in link")).to_have_value(
        re.compile(rf"^{re.escape(postgres_stack.url)}/chip-in/\S+$")
    )
    organiser.get_by_role("link", name="Cover the rest myself").click()
    organiser.get_by_role("button", name="Pay my share").click()
    expect(organiser).to_have_url(re.compile(r"/sandbox/pay/ch_[0-9a-f]+/$"))
    organiser.get_by_role("button", name="Confirm payment").click()

    def funded() -> bool | None:
        organiser.goto(status)
        return organiser.get_by_role("link", name="Get the gift link to send").count() or None

    _wait_for(funded, seconds=PAYMENT_TIMEOUT_MS / 1000)
    expect(organiser.locator(".chip-in__status")).to_have_text("Fully funded")
    organiser.get_by_role("link", name="Get the gift link to send").click()
    expect(organiser.locator("#claim-link")).to_have_value(
        re.compile(rf"^{re.escape(postgres_stack.url)}/g/")
    )
    _fits(organiser)
    assert not browsers.problems, browsers.problems


def test_the_books_reconcile_and_no_process_logged_an_error(postgres_stack: Stack) -> None:
    assert_reconciled_and_quiet(postgres_stack)


def test_the_stack_kept_to_its_own_env_file_and_var_dir(postgres_stack: Stack) -> None:
    assert_the_project_is_untouched(postgres_stack)
