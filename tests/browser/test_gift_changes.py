"""After accepting, the recipient asks for the parcel to go elsewhere, on their phone: a
wrong phone number is shown on the form with everything typed kept, then the change waits
for the shop's answer."""

from playwright.sync_api import Page, expect

from shop.orders.models import ChangeRequest
from tests.factories import SkuFactory
from tests.gifts import CLAIM_FORM, link, live_gift


def _accept(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="Name", exact=True).fill(CLAIM_FORM["recipient_name"])
    page.get_by_role("textbox", name="Phone").fill(CLAIM_FORM["phone"])
    page.get_by_role("combobox", name="Province").select_option(value=CLAIM_FORM["province"])
    page.get_by_role("combobox", name="City").select_option(value=CLAIM_FORM["city"])
    page.get_by_role("combobox", name="District").select_option(value=CLAIM_FORM["district"])
    page.get_by_role("textbox", name="Address", exact=True).fill(CLAIM_FORM["street"])
    page.get_by_role("button", name="Accept gift").click()
    expect(page.get_by_role("heading", name="You accepted this gift")).to_be_visible()


def _fits(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0, f"{page.url} is {overflow}px wider than the phone"


def test_a_recipient_changes_the_address_on_their_phone_after_fixing_a_wrong_number(
    page: Page, no_broker: list[tuple], client
) -> None:
    gift = live_gift(client, sku=SkuFactory(stock=5))
    _accept(page, link(gift))

    _fits(page)  # the tracking link, a long URL, wraps
    page.get_by_text("Send it to another address").click()
    panel = page.locator("#gift-changes details[open]")
    panel.get_by_role("textbox", name="Name", exact=True).fill("王小丽")
    panel.get_by_role("textbox", name="Phone").fill("12345")
    panel.get_by_role("combobox", name="Province").select_option(value="江苏省")
    panel.get_by_role("combobox", name="City").select_option(value="南京市")
    panel.get_by_role("combobox", name="District").select_option(value="鼓楼区")
    panel.get_by_role("textbox", name="Address", exact=True).fill("中山路 8 号")
    panel.get_by_role("button", name="Ask the shop").click()

    panel = page.locator("#gift-changes details[open]")
    expect(panel.locator(".field--error")).to_contain_text("11-digit mainland mobile number")
    expect(panel.get_by_role("textbox", name="Address", exact=True)).to_have_value("中山路 8 号")
    expect(panel.get_by_role("combobox", name="District")).to_have_value("鼓楼区")
    assert not ChangeRequest.objects.exists()

    panel.get_by_role("textbox", name="Phone").fill("137 0000 1111")
    panel.get_by_role("button", name="Ask the shop").click()

    expect(page.locator("#change-pending")).to_contain_text("The shop answers by")
    _fits(page)
    change = ChangeRequest.objects.get()
    assert (change.new_address["street"], change.new_address["phone"]) == (
        "中山路 8 号",
        "13700001111",
    )
