"""Browser tests: Playwright (sync API) drives Debian's Chromium against the live_server fixture.

Playwright cannot download browsers here, so it launches the system Chromium at
/usr/bin/chromium. A missing browser fails the run: CI must never skip these silently.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from shop.catalogue.models import Sku
from tests.factories import ProductFactory, SkuFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 375, "height": 812}
TIMEOUT_MS = 10_000
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test (`-m "not browser"` deselects them)."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def _async_unsafe_allowed() -> Iterator[None]:
    """Allow the ORM in test bodies while Playwright's event loop runs in the main thread.

    Playwright's sync API keeps an asyncio loop running in this thread, so Django's
    `async_unsafe` guard raises SynchronousOnlyOperation for every ORM call (test data,
    assertions, transactional_db's flush). The switch is on only while the browser runs,
    i.e. for this package's tests, so it does not weaken the guard for the rest of the suite.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="package")
def playwright(_async_unsafe_allowed: None) -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Browser tests need Chromium at {CHROMIUM} (Debian: apt-get install chromium). "
            "`playwright install` cannot download browsers in this environment.",
            pytrace=False,
        )
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def browser_settings(settings: object) -> None:
    """Make the DEBUG=0 settings work over the live server's plain http.

    - Static files: the manifest storage needs `collectstatic`; the plain storage makes
      `{% static %}` emit unhashed URLs, which the live server's StaticFilesHandler serves
      from the app finders (it sits in front of WhiteNoise, so WhiteNoise settings such as
      WHITENOISE_USE_FINDERS would have no effect: its middleware is built once, when the
      session-scoped live server starts).
    - Secure cookies are never sent back over http, which would fail every POST's CSRF check.
    - Media: the live server serves MEDIA_URL from MEDIA_ROOT (tests/conftest.py's tmp dir).
    """
    settings.STORAGES = {  # type: ignore[attr-defined]
        **settings.STORAGES,  # type: ignore[attr-defined]
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.SESSION_COOKIE_SECURE = False  # type: ignore[attr-defined]
    settings.CSRF_COOKIE_SECURE = False  # type: ignore[attr-defined]
    settings.SECURE_SSL_REDIRECT = False  # type: ignore[attr-defined]


@pytest.fixture
def server_url(live_server: object, browser_settings: None) -> str:
    return live_server.url  # type: ignore[attr-defined]


def watch(page: Page, server_url: str) -> list[str]:
    """The problems `page` runs into, as they happen: JavaScript errors and failed
    same-site requests (a missing stylesheet, script or image, any 4xx or 5xx)."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on(
        "response",
        lambda response: (
            problems.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400
            and response.url.startswith(server_url)
            and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.on(
        "requestfailed",
        lambda request: (
            problems.append(f"Request failed ({request.failure}): {request.url}")
            if request.url.startswith(server_url)
            # Requests cut short by a navigation (a form submit, a link) are not failures.
            and request.failure != "net::ERR_ABORTED"
            else None
        ),
    )
    return problems


@pytest.fixture
def page(browser: Browser, server_url: str) -> Iterator[Page]:
    """A fresh phone-sized, English-speaking browser context per test.

    Fails the test if the page threw a JavaScript error or any same-site request failed
    (a missing stylesheet, script or image shows up here rather than only in a screenshot).
    """
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="en-US",
        base_url=server_url,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems = watch(page, server_url)
    yield page
    context.close()
    if problems:
        pytest.fail("The browser saw problems:\n" + "\n".join(problems), pytrace=False)


IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def tea() -> Sku:
    return SkuFactory(
        product=ProductFactory(title="龙井茶", title_en="Longjing Tea"), price="88.00", stock=5
    )


@pytest.fixture
def phone(browser: Browser, server_url: str) -> Iterator[Page]:
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, user_agent=IPHONE, locale="en-US", base_url=server_url
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop(browser: Browser, server_url: str) -> Iterator[Page]:
    """A desktop browser (no phone user agent): payment pages offer the desktop flows."""
    context = browser.new_context(locale="en-US", base_url=server_url)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def no_broker(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """For tests without the worker: nothing is queued (the test plays the provider's
    notification itself), so no task can outlive the test."""
    queued: list[tuple] = []
    for module in ("shop.sandbox.provider", "shop.payments.services", "shop.notices.services"):
        monkeypatch.setattr(f"{module}.publish", lambda task, *args: queued.append(args))
    return queued
