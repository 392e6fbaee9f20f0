"""The admin's theme (django-unfold) works under the site's Content-Security-Policy.

The page fixture fails a test on any JavaScript error; here the console is watched too,
for the CSP violations and Alpine expression errors a blocked theme would report.
"""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import TIMEOUT_MS
from tests.factories import MerchantFactory
from tests.merchants.world import merchant_user

PASSWORD = "Owner-Pass-2024!"
LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def owner_page(browser: Browser, server_url: str):
    merchant = MerchantFactory(name="桂香坊", name_en="Osmanthus House")
    user = merchant_user(merchant, email="owner@example.com")
    user.set_password(PASSWORD)
    user.save()
    context = browser.new_context(viewport=LAPTOP, locale="en-US", base_url=server_url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"JavaScript error: {error}"))
    page.goto("/admin/login/?next=/admin/")
    page.locator("#id_username").fill("owner@example.com")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    yield page, console
    context.close()


def _blocked(console: list[str]) -> list[str]:
    return [
        line
        for line in console
        if "Content Security Policy" in line or "Alpine" in line or "JavaScript error" in line
    ]


def test_the_admin_runs_its_scripts_under_the_csp(owner_page: tuple[Page, list[str]]) -> None:
    page, console = owner_page
    page.goto("/admin/catalogue/product/")
    expect(page.get_by_role("heading", name=re.compile("product", re.I)).first).to_be_visible()
    assert _blocked(console) == []


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
    assert _blocked(console) == []
