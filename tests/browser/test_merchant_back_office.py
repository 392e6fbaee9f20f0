"""A merchant's back office on a 1366 × 768 laptop screen: importing products (and fixing
a bad row), shipping orders from a CSV of tracking numbers, printing packing slips for
the orders to ship, and that list fitting the screen.

Imports are checked and applied by the Celery worker (`celery_worker`), as in production;
the job page refreshes itself until the worker is done.
"""

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import Browser, Page, expect

from gifting import changes
from merchants.models import Merchant
from shop.catalogue.models import Category, Product, Sku
from shop.orders.models import Order, OrderLine
from tests.browser.conftest import TIMEOUT_MS, watch
from tests.changes import NEW_ADDRESS, accepted_claim
from tests.factories import CategoryFactory, MerchantFactory, ProductFactory, SkuFactory
from tests.merchants.world import ADDRESSES, merchant_user, place_order

LAPTOP = {"width": 1366, "height": 768}
PASSWORD = "Owner-Pass-2024!"
WORKER_MS = 30_000  # the worker checks and applies; the page refreshes every 2 s
HEADER = "product_id,product_title,product_title_en,category,description,sku_id,sku_code,attributes,price,stock,on_sale"


@pytest.fixture
def merchant(celery_worker: object) -> Merchant:
    merchant = MerchantFactory(name="山里咖啡", name_en="Mountain Coffee")
    merchant.categories.add(CategoryFactory(name="咖啡", name_en="Coffee", slug="coffee"))
    owner = merchant_user(merchant, email="owner@example.com")
    owner.set_password(PASSWORD)
    owner.save()
    return merchant


@pytest.fixture
def paid_order(merchant: Merchant) -> Order:
    product = ProductFactory(
        merchant=merchant, category=Category.objects.get(slug="coffee"), title="云南小粒咖啡豆"
    )
    sku = SkuFactory(product=product, price=Decimal("68.00"), stock=20)
    return place_order(Client(HTTP_ACCEPT_LANGUAGE="en"), sku, address=ADDRESSES["A"])


@pytest.fixture
def owner(browser: Browser, server_url: str, merchant: Merchant) -> Iterator[Page]:
    """The owner, logged into the admin on a laptop; fails on any JS error or failed request."""
    context = browser.new_context(viewport=LAPTOP, locale="en-US", base_url=server_url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems = watch(page, server_url)
    page.goto("/admin/login/?next=/admin/")
    page.locator("#id_username").fill("owner@example.com")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.locator("#login-form")).to_have_count(0)
    yield page
    context.close()
    if problems:
        pytest.fail("The browser saw problems:\n" + "\n".join(problems), pytrace=False)


def upload(page: Page, name: str, text: str) -> None:
    page.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": text.encode()}
    )
    page.get_by_role("button", name="Upload and check").click()


def status(page: Page):
    return page.locator("#import-status")


def test_the_merchant_imports_products_fixes_a_bad_row_and_applies(owner: Page) -> None:
    owner.goto("/admin/")
    owner.get_by_role("link", name="Import and export products").click()
    good = ",挂耳咖啡礼盒,Drip Coffee Box,coffee,十包装,,DRIP-10,规格: 十包,59.00,30,1"
    upload(owner, "products.csv", f"{HEADER}\n{good}\n,手冲壶,Kettle,coffee,,,KETTLE,,12.345,5,1\n")

    expect(status(owner)).to_have_text("Rows with errors", timeout=WORKER_MS)
    expect(owner.locator("#import-errors")).to_contain_text("A price has at most two decimals")
    assert not Product.objects.filter(title="挂耳咖啡礼盒").exists()

    upload(
        owner,
        "products-fixed.csv",
        f"{HEADER}\n{good}\n,手冲壶,Kettle,coffee,,,KETTLE,,128.00,5,1\n",
    )
    expect(status(owner)).to_have_text("Checked: ready to apply", timeout=WORKER_MS)
    expect(owner.locator("#import-preview")).to_contain_text("applying adds 2 and updates 0")
    owner.get_by_role("button", name="Apply").click()

    expect(status(owner)).to_have_text("Applied", timeout=WORKER_MS)
    prices = dict(
        Sku.objects.filter(
            product__merchant__name="山里咖啡", code__in=["DRIP-10", "KETTLE"]
        ).values_list("code", "price")
    )
    assert prices == {"DRIP-10": Decimal("59.00"), "KETTLE": Decimal("128.00")}


def test_the_merchant_ships_orders_from_a_csv_of_tracking_numbers(
    owner: Page, paid_order: Order
) -> None:
    owner.goto("/admin/back-office/orders-to-ship/")
    expect(owner.locator("#orders-to-ship")).to_contain_text(paid_order.number)
    owner.locator("#content-main").get_by_role("link", name="Import tracking numbers").click()

    upload(
        owner,
        "tracking.csv",
        f"order_number,carrier,tracking_number\n{paid_order.number},SF,SF1234567890\n",
    )
    expect(status(owner)).to_have_text("Checked: ready to apply", timeout=WORKER_MS)
    owner.get_by_role("button", name="Apply").click()

    expect(status(owner)).to_have_text("Applied", timeout=WORKER_MS)
    paid_order.refresh_from_db()
    assert (paid_order.status, paid_order.carrier, paid_order.tracking_number) == (
        Order.Status.SHIPPED,
        "顺丰速运",
        "SF1234567890",
    )
    owner.goto("/admin/back-office/orders-to-ship/")
    expect(owner.locator("#orders-to-ship")).not_to_contain_text(paid_order.number)


def test_the_merchant_prints_packing_slips_for_the_ticked_orders(
    owner: Page, paid_order: Order
) -> None:
    owner.goto("/admin/back-office/orders-to-ship/")
    owner.get_by_label(paid_order.number).check()

    with owner.expect_download() as download:
        owner.get_by_role("button", name="Print packing slips (PDF)").click()

    assert download.value.suggested_filename == "packing-slips.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")


def test_orders_to_ship_fit_a_1366_pixel_screen(
    owner: Page, merchant: Merchant, paid_order: Order
) -> None:
    claim = accepted_claim(Client(HTTP_ACCEPT_LANGUAGE="en"))
    OrderLine.objects.filter(order=claim.order).update(product_title="特别长的礼盒名称" * 8)
    Order.objects.filter(pk=claim.order_id).update(merchant=merchant)
    changes.address_change_request(claim=claim, address=NEW_ADDRESS)

    owner.goto("/admin/back-office/orders-to-ship/")

    expect(owner.locator("#orders-to-ship tbody tr")).to_have_count(2)
    expect(owner.locator("#orders-to-ship")).to_contain_text("Gift")
    expect(owner.locator("#orders-to-ship")).to_contain_text("answer by")
    assert owner.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
