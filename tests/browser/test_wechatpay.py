"""A gift paid with WeChat Pay in a browser, against the emulator over HTTP: the QR code
page on a desktop (the payer "scans" it on the emulator), and WeChat's H5 page on a phone,
which sends the payer back. The emulator delivers its signed notification to the live
server itself, so the share link appears without a worker."""

import copy
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from gifting.models import Gift
from shop.catalogue.models import Sku
from tests.browser.paying import check_out, expect_paid, send_gift
from tests.wechatpay import wechatpay_emulator, wechatpay_settings  # noqa: F401 (fixtures)


@pytest.fixture
def wechat_shop(wechatpay_settings, settings, server_url: str):  # noqa: F811
    """WeChat Pay is the shop's provider; the emulator delivers notifications to the live
    server. The H5 redirect after a posted form needs the emulator in CSP's form-action,
    as settings.py adds WeChat Pay's H5 host when it is offered."""
    settings.PAYMENT_GATEWAY = "wechatpay"
    settings.SITE_URL = server_url
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(wechatpay_settings.url)
    settings.CONTENT_SECURITY_POLICY = policy
    wechatpay_settings.mode(deliver=True)
    return wechatpay_settings


def test_on_a_desktop_the_gift_is_paid_by_scanning_the_qr_code(
    desktop: Page, wechat_shop, tea: Sku
) -> None:
    send_gift(desktop, tea)

    expect(desktop).to_have_url(re.compile(r"/payments/pay/P\w+/\?channel=native$"))
    qr = desktop.locator(".pay-qr")
    expect(qr.locator("svg")).to_be_visible()
    code_url = qr.get_attribute("data-code-url")
    wechat_shop.pay(parse_qs(urlsplit(code_url).query)["pr"][0])  # the payer scans and confirms
    desktop.get_by_role("link", name="I have paid").click()

    expect(desktop.locator("#claim-link")).to_be_visible()
    assert Gift.objects.get().status == Gift.Status.AWAITING_RECIPIENT


def test_on_a_desktop_a_cart_is_paid_by_scanning_the_qr_code(
    desktop: Page, wechat_shop, tea: Sku
) -> None:
    check_out(desktop, tea)

    expect(desktop).to_have_url(re.compile(r"/payments/pay/P\w+/\?channel=native$"))
    code_url = desktop.locator(".pay-qr").get_attribute("data-code-url")
    wechat_shop.pay(parse_qs(urlsplit(code_url).query)["pr"][0])
    desktop.get_by_role("link", name="I have paid").click()

    expect_paid(desktop, tea)


def test_on_a_phone_the_gift_is_paid_on_wechats_h5_page_which_sends_the_payer_back(
    phone: Page, wechat_shop, tea: Sku
) -> None:
    send_gift(phone, tea)

    expect(phone).to_have_url(re.compile(rf"^{re.escape(wechat_shop.url)}/_emulator/h5\?"))
    expect(phone.get_by_text("¥88.00")).to_be_visible()
    phone.get_by_role("button", name="确认支付").click()

    expect(phone).to_have_url(re.compile(r"/gifts/sent/\d+/$"))
    expect(phone.locator("#claim-link")).to_be_visible()
