"""The admin's theme (django-unfold) works under the site's Content-Security-Policy.

The admin runs Alpine's CSP build with no 'unsafe-eval' and no inline style attributes: each
page records the policy's violations (`securitypolicyviolation`, into window.__csp) and the
console, where a blocked theme or an expression the CSP build cannot parse would report, and
each test checks that what it clicked actually worked.
"""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from merchants.models import Merchant
from shop.catalogue.models import Product
from tests.browser.conftest import TIMEOUT_MS
from tests.factories import MerchantFactory, ProductFactory, SkuFactory
from tests.merchants.world import merchant_user

PASSWORD = "Owner-Pass-2024!"
LAPTOP = {"width": 1366, "height": 768}
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`);
});
"""


@pytest.fixture
def merchant() -> Merchant:
    return MerchantFactory(name="桂香坊", name_en="Osmanthus House")


@pytest.fixture
def product(merchant: Merchant) -> Product:
    product = ProductFactory(merchant=merchant, title_en="Osmanthus Oolong")
    SkuFactory(product=product)
    return product


@pytest.fixture
def owner_page(browser: Browser, server_url: str, merchant: Merchant):
    user = merchant_user(merchant, email="owner@example.com")
    user.set_password(PASSWORD)
    user.save()
    context = browser.new_context(viewport=LAPTOP, locale="en-US", base_url=server_url)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    console: list[str] = []
    page.on(
        "console",
        lambda message: (
            console.append(f"{message.type}: {message.text}")
            # The live server has no favicon; the browser asks for one anyway.
            if not message.location.get("url", "").endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda error: console.append(f"JavaScript error: {error}"))
    page.goto("/admin/login/?next=/admin/")
    page.locator("#id_username").fill("owner@example.com")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    yield page, console
    context.close()


def _blocked(page: Page, console: list[str]) -> list[str]:
    """The current page's CSP violations, and any console error or warning so far."""
    violations = [f"CSP violation: {line}" for line in page.evaluate("window.__csp")]
    return violations + [line for line in console if not line.startswith(("log:", "info:"))]


def test_the_admin_runs_its_scripts_under_the_csp(owner_page: tuple[Page, list[str]]) -> None:
    page, console = owner_page
    page.goto("/admin/catalogue/product/")
    expect(page.get_by_role("heading", name=re.compile("product", re.I)).first).to_be_visible()
    assert _blocked(page, console) == []


def test_the_header_names_the_merchants_shop(owner_page: tuple[Page, list[str]]) -> None:
    page, _console = owner_page
    expect(page.locator("#nav-sidebar, nav").get_by_text("Osmanthus House").first).to_be_visible()


def test_dark_mode_switches_the_page_dark_and_stays(owner_page: tuple[Page, list[str]]) -> None:
    page, console = owner_page
    page.emulate_media(color_scheme="light")
    page.reload()
    html = page.locator("html")
    expect(html).not_to_have_class(re.compile(r"\bdark\b"))
    page.keyboard.press("Control+e")  # the theme's shortcut: light, then dark
    page.keyboard.press("Control+e")
    expect(html).to_have_class(re.compile(r"\bdark\b"))
    page.reload()
    expect(html).to_have_class(re.compile(r"\bdark\b"))
    assert _blocked(page, console) == []


def test_the_user_menus_dark_button_switches_the_page_dark(
    owner_page: tuple[Page, list[str]],
) -> None:
    page, console = owner_page
    page.emulate_media(color_scheme="light")
    page.reload()
    page.get_by_text("owner@example.com").click()  # the user menu
    page.get_by_text("Dark", exact=True).click()
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
    assert _blocked(page, console) == []


def test_the_dashboard_runs_under_the_csp(owner_page: tuple[Page, list[str]]) -> None:
    page, console = owner_page
    expect(page.get_by_role("heading", name="Osmanthus House")).to_be_visible()
    assert _blocked(page, console) == []


def test_the_sidebar_closes_and_opens_and_stays_as_left(
    owner_page: tuple[Page, list[str]],
) -> None:
    page, console = owner_page
    sidebar = page.locator("#nav-sidebar")
    toggle = page.get_by_text("dock_to_right").first
    toggle.click()
    expect(sidebar).to_be_hidden()
    page.reload()
    expect(sidebar).to_be_hidden()
    toggle.click()
    expect(sidebar).to_be_visible()
    assert _blocked(page, console) == []


def test_the_sidebar_search_finds_a_page(owner_page: tuple[Page, list[str]]) -> None:
    page, console = owner_page
    search = page.locator("#nav-filter")
    search.fill("Stock")
    search.press("End")  # a keyup: the search asks the server
    results = page.locator("#search-results")
    expect(results.get_by_role("link", name=re.compile("Stock")).first).to_be_visible()
    search.press("Escape")  # clears the query
    expect(search).to_have_value("")
    assert _blocked(page, console) == []


def test_adding_an_sku_row_on_a_product_adds_a_form(
    owner_page: tuple[Page, list[str]], product: Product
) -> None:
    page, console = owner_page
    page.goto(f"/admin/catalogue/product/{product.pk}/change/")
    total = page.locator("#id_skus-TOTAL_FORMS")
    before = int(total.input_value())
    page.get_by_text("Add another SKU").click()
    expect(total).to_have_value(str(before + 1))
    expect(page.locator(f"[name=skus-{before}-code]")).to_be_visible()
    assert _blocked(page, console) == []


def test_the_product_list_opens_its_filters_and_offers_an_action_on_a_row(
    owner_page: tuple[Page, list[str]], product: Product
) -> None:
    page, console = owner_page
    page.goto("/admin/catalogue/product/")
    page.get_by_text("Filters").click()
    filters = page.locator("#changelist-filter")
    expect(filters).to_be_visible()
    page.keyboard.press("Escape")
    expect(filters).to_be_hidden()
    run = page.get_by_role("button", name="Run")
    page.locator("input.action-select").first.check()
    expect(run).to_be_hidden()  # until an action is chosen
    page.locator("select[name=action]").select_option("submit_for_review")
    expect(run).to_be_visible()
    assert _blocked(page, console) == []


def test_the_import_page_runs_under_the_csp(owner_page: tuple[Page, list[str]]) -> None:
    page, console = owner_page
    page.goto("/admin/back-office/products/import/")
    expect(page.locator("input[type=file]").first).to_be_attached()
    assert _blocked(page, console) == []
