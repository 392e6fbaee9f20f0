"""The system stage: the stack that `make run` starts, driven over HTTP and in Chromium.

Each test module gets one stack (module-scoped fixture), started by `make run` itself and
stopped at the module's end. It needs PostgreSQL (the suite's server; the stack's
database is the suite's name + `_system`, created afresh each run and kept afterwards for
a look), Redis at SYSTEM_BROKER_URL (a database of its own, FLUSHED before each stack
starts) and Chromium. A missing one fails the stage; nothing is skipped.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
import redis
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

from .stack import Stack, free_port

TIMEOUT_MS = 15_000


@pytest.fixture(scope="session", autouse=True)
def _collected_static() -> None:
    """The suite collects static files for its in-process server; `make run` collects the
    stack's itself, into its own VAR_DIR."""


@pytest.fixture(scope="session")
def system_broker_url() -> str:
    url = os.environ.get("SYSTEM_BROKER_URL", "")
    if not url.startswith(("redis://", "rediss://")):
        pytest.fail(
            "The system tests need SYSTEM_BROKER_URL=redis://…/<db>, a Redis database they "
            f"may flush (got {url!r}); `make test` sets it.",
            pytrace=False,
        )
    if url == settings.CELERY_BROKER_URL:
        pytest.fail(
            f"SYSTEM_BROKER_URL is the suite's broker ({url}); the system tests flush theirs.",
            pytrace=False,
        )
    try:
        redis.Redis.from_url(url, socket_timeout=3).ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis is not reachable at {url}: {error}", pytrace=False)
    return url


def _flushed(url: str) -> str:
    """No message left from an earlier run may reach the new stack's worker."""
    redis.Redis.from_url(url, socket_timeout=3).flushdb()
    return url


def _port() -> int:
    """SYSTEM_PORT when given (each stack in turn uses it), else one the system has free."""
    return int(os.environ.get("SYSTEM_PORT") or free_port())


def _fresh_database() -> str:
    """An empty database on the suite's PostgreSQL server, as `make run` finds on a new
    machine; its URL."""
    db = settings.DATABASES["default"]
    name = f"{db['NAME']}_system"
    with psycopg.connect(
        dbname="postgres",
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        autocommit=True,
        connect_timeout=5,
    ) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST']}:{db['PORT'] or 5432}/{name}"


@pytest.fixture(scope="module")
def postgres_stack(
    tmp_path_factory: pytest.TempPathFactory, system_broker_url: str
) -> Iterator[Stack]:
    """`make run` on PostgreSQL and Redis, as the README's second recipe."""
    stack = Stack.start(
        workdir=tmp_path_factory.mktemp("stack-postgresql"),
        port=_port(),
        extra={
            "DATABASE_URL": _fresh_database(),
            "CELERY_BROKER_URL": _flushed(system_broker_url),
        },
    )
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def sqlite_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The README's bare `make run`: SQLite and the file broker, both in the stack's
    VAR_DIR."""
    stack = Stack.start(workdir=tmp_path_factory.mktemp("stack-sqlite"), port=_port(), extra={})
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"The system tests need Chromium at {CHROMIUM} (Debian: apt-get install chromium).",
            pytrace=False,
        )
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


class Browsers:
    """Browser windows on the stack, each its own context (no shared cookies), watched
    for JavaScript errors and failed same-site responses."""

    def __init__(self, browser: Browser, url: str, screenshots: Path) -> None:
        self.browser, self.url, self.screenshots = browser, url, screenshots
        self.problems: list[str] = []
        self.contexts: list[BrowserContext] = []

    def open(self, who: str, **options: object) -> Page:
        context = self.browser.new_context(base_url=self.url, locale="en-US", **options)
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.problems.append(f"{who}: JavaScript: {error}"))
        page.on(
            "response",
            lambda r: (
                self.problems.append(f"{who}: HTTP {r.status} {r.request.method} {r.url}")
                if r.status >= 400
                and r.url.startswith(self.url)
                and not r.url.endswith("/favicon.ico")
                else None
            ),
        )
        return page

    def screenshot(self, page: Page, name: str) -> None:
        page.screenshot(path=self.screenshots / f"{name}.png", full_page=True)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browsers(browser: Browser, postgres_stack: Stack, tmp_path: Path) -> Iterator[Browsers]:
    windows = Browsers(browser, postgres_stack.url, tmp_path)
    yield windows
    windows.close()
