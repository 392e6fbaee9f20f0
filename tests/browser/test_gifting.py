"""A sender pays for a gift on a phone; a friend opens the link, picks a variant and accepts.

The gift goes live only when a real Celery worker (`celery_worker`) delivers the sandbox's
signed notification to the live server, so SITE_URL points at the live server. That also
makes the share link the page shows a link to the live server.
"""

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, expect

from gifting.models import Gift, GiftClaim
from shop.accounts.models import User
from shop.catalogue.models import Sku, StockRecord
from shop.orders.models import Order
from shop.payments.models import Refund
from tests import gifts, sandbox
from tests.browser.conftest import PHONE, TIMEOUT_MS
from tests.factories import MerchantFactory, ProductFactory, SkuFactory, UserFactory

PASSWORD = "correct-horse-battery"
# The sender's gift page refreshes every 2 s while it waits; the worker notifies in about 1 s.
PAYMENT_TIMEOUT_MS = 20_000
FROM = "小明"
MESSAGE = "生日快乐！Happy birthday, 愿你喜欢。"
RECIPIENT = {
    "name": "李小红",
    "masked": "李**",
    "phone": "139 1234 5678",
    "digits": "13912345678",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "street": "文三路 478 号 2 单元 301",
}


@pytest.fixture
def site_url(settings: object, server_url: str) -> str:
    """Return, notify and share URLs (all built from SITE_URL) point at the live server."""
    settings.SITE_URL = server_url  # type: ignore[attr-defined]
    return server_url


@pytest.fixture
def shop_site(site_url: str, celery_worker: object) -> str:
    """The live server, with the worker delivering the sandbox's notifications to it."""
    return site_url


@pytest.fixture
def scarf() -> tuple[Sku, Sku]:
    """A product with two variants, the second one cheaper."""
    product = ProductFactory(
        merchant=MerchantFactory(name="丝绸坊", name_en="Silk House"),
        title="真丝围巾",
        title_en="Silk Scarf",
    )
    red = SkuFactory(product=product, attributes={"colour": "红色"}, price="199.00", stock=5)
    blue = SkuFactory(product=product, attributes={"colour": "蓝色"}, price="159.00", stock=5)
    return red, blue


def _watch(page: Page, server_url: str, problems: list[str]) -> None:
    """Collect what goes wrong in the page: JavaScript errors and failed same-site requests."""
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


@pytest.fixture
def friend_problems() -> list[str]:
    """What the friend's browser saw go wrong; each test asserts it is empty at its end
    (inside the test rather than at teardown, so the failure points at the test)."""
    return []


@pytest.fixture
def friend(browser: Browser, server_url: str, friend_problems: list[str]) -> Iterator[Page]:
    """The recipient: a separate phone with no cookies, never logged in."""
    context: BrowserContext = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US", base_url=server_url
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    _watch(page, server_url, friend_problems)
    yield page
    context.close()


def _screenshot(page: Page, path: Path) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=path, full_page=True)


def _log_in(page: Page, user: User) -> None:
    page.goto("/account/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Logged in: the header's "Log in" link is gone (whatever the account link is called).
    expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_have_count(0)


def _send_and_pay(page: Page, red: Sku, screenshots: Path) -> None:
    page.goto(f"/products/{red.product_id}/")
    page.get_by_role("link", name="Send as a gift").click()
    expect(page).to_have_url(re.compile(rf"/gifts/send/{red.product_id}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Send as a gift")
    expect(page.get_by_role("radio", name=re.compile("红色"))).to_be_checked()
    page.get_by_label("From").fill(FROM)
    page.get_by_label("Message").fill(MESSAGE)
    page.get_by_role("checkbox", name=re.compile("Let them choose the variant")).check()
    _screenshot(page, screenshots / "send.png")
    page.get_by_role("button", name="Pay and get the gift link").click()

    expect(page).to_have_url(re.compile(r"/sandbox/pay/ch_[0-9a-f]+/$"))
    expect(page.locator(".price")).to_have_text("¥199.00")
    page.get_by_role("button", name="Confirm payment").click()


def _expect_share_page(page: Page, server_url: str) -> str:
    """The sender's gift page once the link is live: link, QR code, expiry; returns the link."""
    expect(page).to_have_url(re.compile(r"/gifts/sent/\d+/$"))
    link = page.locator("#claim-link")
    expect(link).to_be_visible(timeout=PAYMENT_TIMEOUT_MS)
    expect(page.get_by_text("Waiting for the payment confirmation…")).to_have_count(0)
    expect(page.locator("#gift-status")).to_have_text("Waiting for the recipient")
    expect(link).to_have_value(re.compile(rf"^{re.escape(server_url)}/g/[\w-]{{40,}}/$"))
    expect(page.get_by_role("img", name="QR code of the gift link").locator("svg")).to_be_visible()
    expect(page.locator(".share time")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$"))
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    return link.input_value()


def _open_gift(friend: Page, link: str) -> None:
    """The friend's view of the gift: who from, the message, the product, never a price."""
    friend.goto(link)
    card = friend.locator(".gift-card")
    expect(card).to_contain_text(f"A gift from {FROM}")
    expect(card.locator(".gift-message")).to_have_text(MESSAGE)
    expect(card.get_by_role("heading", level=1)).to_have_text("Silk Scarf")
    expect(card).not_to_contain_text("¥")
    expect(friend.locator("main")).not_to_contain_text("¥")


def _submit(friend: Page, button: str) -> None:
    """Press Accept gift or Decline: the POST must be taken (a redirect), not refused."""
    with friend.expect_response(lambda r: r.request.method == "POST") as posted:
        friend.get_by_role("button", name=button).click()
    assert posted.value.status == 302, f"POST answered {posted.value.status}"


def _fill_address(friend: Page) -> None:
    friend.get_by_role("textbox", name="Name", exact=True).fill(RECIPIENT["name"])
    friend.get_by_role("textbox", name="Phone").fill(RECIPIENT["phone"])
    friend.get_by_role("combobox", name="Province").select_option(value=RECIPIENT["province"])
    friend.get_by_role("combobox", name="City").select_option(value=RECIPIENT["city"])
    friend.get_by_role("combobox", name="District").select_option(value=RECIPIENT["district"])
    friend.get_by_role("textbox", name="Address", exact=True).fill(RECIPIENT["street"])


def _live_gift(sku: Sku, sender: User) -> Gift:
    """A gift paid in the sandbox, its notification delivered by the test (needs no_broker)."""
    gift = gifts.create_gift(
        sku=sku, sender=sender, sender_name=FROM, message=MESSAGE, allow_variant_choice=True
    )
    sandbox.pay(Client(), gift.payment)
    gift.refresh_from_db()
    assert gift.status == Gift.Status.AWAITING_RECIPIENT
    return gift


def test_the_sender_pays_for_a_gift_and_gets_its_link_qr_code_and_expiry(
    page: Page, shop_site: str, scarf: tuple[Sku, Sku], tmp_path: Path
) -> None:
    red, blue = scarf
    sender = UserFactory()
    _log_in(page, sender)

    _send_and_pay(page, red, tmp_path)
    link = _expect_share_page(page, shop_site)
    _screenshot(page, tmp_path / "share.png")

    gift = Gift.objects.get(sender=sender)
    assert (gift.status, gift.amount, gift.sender_name, gift.message, gift.sku_id) == (
        Gift.Status.AWAITING_RECIPIENT,
        Decimal("199.00"),
        FROM,
        MESSAGE,
        red.pk,
    )
    assert gift.allow_variant_choice
    assert link == shop_site + gifts.link(gift)
    assert dict(StockRecord.objects.values_list("sku_id", "quantity")) == {red.pk: 4, blue.pk: 5}

    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=shop_site)
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link


def test_the_gift_page_stops_waiting_after_a_while_and_a_reload_shows_the_late_payment(
    page: Page,
    no_broker: list[tuple],
    site_url: str,
    settings: object,
    scarf: tuple[Sku, Sku],
    tmp_path: Path,
) -> None:
    """No worker: the notification stays with the sandbox until the test delivers it."""
    settings.PAYMENT_RETURN_WAIT_SECONDS = 4  # type: ignore[attr-defined]  # two refreshes
    sender = UserFactory()
    _log_in(page, sender)
    _send_and_pay(page, scarf[0], tmp_path)

    still_waiting = page.locator("#payment-still-waiting")
    expect(still_waiting).to_contain_text(
        "Still waiting for the payment confirmation", timeout=PAYMENT_TIMEOUT_MS
    )
    expect(page).to_have_url(re.compile(r"/gifts/sent/\d+/\?waited=2$"))
    expect(page.locator('meta[http-equiv="refresh"]')).to_have_count(0)
    expect(page.locator("#claim-link")).to_have_count(0)
    _screenshot(page, tmp_path / "still-waiting.png")

    assert sandbox.deliver(Client()) == [200]
    still_waiting.get_by_role("link", name="Reload this page").click()
    _expect_share_page(page, site_url)
    expect(page.locator('meta[http-equiv="refresh"]')).to_have_count(0)


def test_a_friend_accepts_from_the_link_and_the_sender_sees_only_a_masked_name_and_city(
    page: Page,
    no_broker: list[tuple],
    friend: Page,
    friend_problems: list[str],
    site_url: str,
    scarf: tuple[Sku, Sku],
    tmp_path: Path,
) -> None:
    red, blue = scarf
    sender = UserFactory(name="王大明")
    gift = _live_gift(red, sender)
    _log_in(page, sender)
    page.goto(f"/gifts/sent/{gift.pk}/")
    link = page.locator("#claim-link").input_value()

    _open_gift(friend, link)
    friend.get_by_role("radio", name=blue.label).check()
    _fill_address(friend)
    _screenshot(friend, tmp_path / "claim-filled.png")
    _submit(friend, "Accept gift")

    expect(friend.get_by_role("heading", name="You accepted this gift")).to_be_visible()
    expect(friend.get_by_role("status")).to_contain_text("Accepted! The shop will send it to you.")
    expect(friend.get_by_role("button", name="Accept gift")).to_have_count(0)
    _screenshot(friend, tmp_path / "claimed.png")

    page.reload()
    expect(page.locator("#gift-status")).to_have_text("Accepted")
    expect(page.locator("#claim-link")).to_have_count(0)
    accepted_by = page.locator("section.panel").filter(has_text="Accepted by")
    expect(accepted_by).to_contain_text(RECIPIENT["masked"])
    expect(accepted_by).to_contain_text(RECIPIENT["city"])
    html = page.content()
    for secret in (
        RECIPIENT["name"],
        RECIPIENT["street"],
        RECIPIENT["district"],
        RECIPIENT["phone"],
        RECIPIENT["digits"],
        "5678",
    ):
        assert secret not in html, secret

    claim = GiftClaim.objects.select_related("order").get(gift=gift)
    assert (claim.sku_id, claim.phone, claim.street) == (
        blue.pk,
        RECIPIENT["digits"],
        RECIPIENT["street"],
    )
    assert (claim.order.status, claim.order.total) == (Order.Status.PAID, Decimal("199.00"))
    assert dict(StockRecord.objects.values_list("sku_id", "quantity")) == {red.pk: 5, blue.pk: 4}
    assert not friend_problems


def test_a_friend_declines_from_the_link(
    friend: Page,
    friend_problems: list[str],
    no_broker: list[tuple],
    server_url: str,
    scarf: tuple[Sku, Sku],
) -> None:
    gift = _live_gift(scarf[0], UserFactory())
    _open_gift(friend, gifts.link(gift))
    friend.get_by_role("button", name="Decline").click()
    expect(friend.get_by_role("heading", name="Decline this gift?")).to_be_visible()
    _submit(friend, "Yes, decline")
    expect(friend.get_by_role("status")).to_contain_text("You declined the gift.")
    gift.refresh_from_db()
    assert gift.status == Gift.Status.DECLINED
    assert Refund.objects.get(payment=gift.payment).amount == Decimal("199.00")
    assert not friend_problems


def test_the_share_button_uses_the_web_share_api_where_the_browser_has_it(
    page: Page, no_broker: list[tuple], site_url: str, scarf: tuple[Sku, Sku]
) -> None:
    sender = UserFactory()
    gift = _live_gift(scarf[0], sender)
    _log_in(page, sender)
    # First a browser without the API (a desktop's): only the copy button.
    page.add_init_script("delete Navigator.prototype.share")
    page.goto(f"/gifts/sent/{gift.pk}/")
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    expect(page.get_by_role("button", name="Share")).to_have_count(0)
    # Then a phone's: navigator.share records what it was given.
    page.add_init_script(
        "navigator.share = (data) => { window.shared = data; return Promise.resolve(); }"
    )
    page.reload()
    page.get_by_role("button", name="Share").click()
    shared = page.evaluate("window.shared")
    assert shared == {"title": f"A gift from {FROM}", "url": site_url + gifts.link(gift)}
    expect(page.get_by_role("button", name="Copy")).to_be_visible()


def test_going_back_from_the_decline_confirmation_keeps_the_gift(
    friend: Page, friend_problems: list[str], no_broker: list[tuple], scarf: tuple[Sku, Sku]
) -> None:
    gift = _live_gift(scarf[0], UserFactory())
    _open_gift(friend, gifts.link(gift))
    friend.get_by_role("button", name="Decline").click()
    friend.get_by_role("link", name="No, go back to the gift").click()
    expect(friend.get_by_role("button", name="Accept gift")).to_be_visible()
    gift.refresh_from_db()
    assert gift.status == Gift.Status.AWAITING_RECIPIENT
    assert not friend_problems


def test_the_region_picker_offers_the_provinces_cities_and_districts(
    friend: Page, friend_problems: list[str], no_broker: list[tuple], scarf: tuple[Sku, Sku]
) -> None:
    gift = _live_gift(scarf[0], UserFactory())
    _open_gift(friend, gifts.link(gift))
    friend.get_by_role("combobox", name="Province").select_option(value="浙江省")
    city = friend.get_by_role("combobox", name="City")
    expect(city.locator("option", has_text="杭州市")).to_have_count(1)
    expect(city.locator("option", has_text="海淀区")).to_have_count(0)
    city.select_option(value="杭州市")
    district = friend.get_by_role("combobox", name="District")
    expect(district.locator("option", has_text="西湖区")).to_have_count(1)
    friend.get_by_role("combobox", name="Province").select_option(value="北京市")
    expect(city.locator("option", has_text="杭州市")).to_have_count(0)
    expect(friend.get_by_role("textbox", name="City")).to_have_count(0)  # the list, not text
    assert not friend_problems


def test_a_place_missing_from_the_list_is_typed_and_accepted(
    friend: Page, friend_problems: list[str], no_broker: list[tuple], scarf: tuple[Sku, Sku]
) -> None:
    gift = _live_gift(scarf[0], UserFactory())
    _open_gift(friend, gifts.link(gift))
    friend.get_by_role("textbox", name="Name", exact=True).fill(RECIPIENT["name"])
    friend.get_by_role("textbox", name="Phone").fill(RECIPIENT["phone"])
    friend.get_by_role("combobox", name="Province").select_option(value="浙江省")
    friend.get_by_role("combobox", name="City").select_option(value="杭州市")
    friend.get_by_role("combobox", name="District").select_option(label="Not listed: type it")
    friend.get_by_role("textbox", name="District").fill("云栖小镇")
    friend.get_by_role("textbox", name="Address", exact=True).fill(RECIPIENT["street"])
    _submit(friend, "Accept gift")
    expect(friend.get_by_role("heading", name="You accepted this gift")).to_be_visible()
    claim = GiftClaim.objects.get(gift=gift)
    assert (claim.province, claim.city, claim.district) == ("浙江省", "杭州市", "云栖小镇")
    assert not friend_problems


def test_after_an_error_the_picker_shows_the_places_chosen(
    friend: Page, friend_problems: list[str], no_broker: list[tuple], scarf: tuple[Sku, Sku]
) -> None:
    gift = _live_gift(scarf[0], UserFactory())
    _open_gift(friend, gifts.link(gift))
    _fill_address(friend)
    friend.get_by_role("textbox", name="Phone").fill("12345")
    friend.get_by_role("button", name="Accept gift").click()
    expect(friend.locator("#claim-errors")).to_contain_text("Phone")
    expect(friend.get_by_role("combobox", name="City")).to_have_value(RECIPIENT["city"])
    expect(friend.get_by_role("combobox", name="District")).to_have_value(RECIPIENT["district"])
    expect(friend.get_by_role("textbox", name="Phone")).to_have_attribute("aria-invalid", "true")
    friend.get_by_role("textbox", name="Phone").fill(RECIPIENT["phone"])
    _submit(friend, "Accept gift")
    claim = GiftClaim.objects.get(gift=gift)
    assert (claim.city, claim.district) == (RECIPIENT["city"], RECIPIENT["district"])
    assert not friend_problems


def _horizontal_overflow(page: Page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_the_share_page_and_the_claim_form_fit_a_375px_phone(
    page: Page,
    no_broker: list[tuple],
    friend: Page,
    friend_problems: list[str],
    server_url: str,
    scarf: tuple[Sku, Sku],
    tmp_path: Path,
) -> None:
    red, _ = scarf
    sender = UserFactory()
    gift = _live_gift(red, sender)
    _log_in(page, sender)
    page.goto(f"/gifts/sent/{gift.pk}/")
    expect(page.locator(".qr svg")).to_be_visible()
    _screenshot(page, tmp_path / "share.png")
    qr = page.locator(".qr svg").bounding_box()
    assert qr is not None and qr["width"] >= 150  # big enough to scan from another phone

    friend.goto(gifts.link(gift))
    expect(friend.get_by_role("button", name="Accept gift")).to_be_visible()
    _screenshot(friend, tmp_path / "claim-form.png")

    assert (_horizontal_overflow(page), _horizontal_overflow(friend)) == (0, 0)
    for name in ("Accept gift", "Decline"):
        box = friend.get_by_role("button", name=name).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert not friend_problems
