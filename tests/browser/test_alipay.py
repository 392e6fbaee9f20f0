"""A gift paid with Alipay in a browser, against the emulator over HTTP: the phone is
sent to Alipay's cashier (alipay.trade.wap.pay), confirms, and is sent back; the share
link appears only once Alipay's signed notification reached the live server, never
because the browser came back. On a desktop, a cart is paid at the desktop cashier
(alipay.trade.page.pay)."""

import copy
import re

import pytest
from playwright.sync_api import Page, expect

from gifting.models import Gift
from shop.catalogue.models import Sku
from shop.payments.models import Payment
from tests.alipay import (  # noqa: F401 (fixtures)
    alipay_emulator,
    alipay_settings,
)
from tests.browser.paying import check_out, expect_paid, send_gift
from tests.conftest import wait_until


@pytest.fixture
def alipay_shop(alipay_settings, alipay_emulator, settings, server_url: str):  # noqa: F811
    """Alipay is the shop's provider; the emulator's cashier is allowed as a form target,
    as settings.py allows ALIPAY_GATEWAY_URL when Alipay is offered."""
    settings.PAYMENT_GATEWAY = "alipay"
    settings.SITE_URL = server_url
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(alipay_emulator.base_url)
    settings.CONTENT_SECURITY_POLICY = policy
    alipay_emulator.reset()
    return alipay_emulator


def test_on_a_desktop_a_cart_is_paid_at_alipays_desktop_cashier(
    desktop: Page, alipay_shop, tea: Sku
) -> None:
    check_out(desktop, tea)

    expect(desktop).to_have_url(re.compile(r"method=alipay\.trade\.page\.pay"))
    expect(desktop.get_by_text("88.00")).to_be_visible()
    desktop.get_by_role("button", name="确认付款 Pay").click()

    expect(desktop).to_have_url(re.compile(r"/orders/payment/P\w+/"))
    expect_paid(desktop, tea)


def test_on_a_phone_the_gift_is_paid_at_alipays_cashier_which_sends_the_payer_back(
    phone: Page, alipay_shop, tea: Sku
) -> None:
    send_gift(phone, tea)

    expect(phone).to_have_url(re.compile(rf"^{re.escape(alipay_shop.base_url)}/"))
    expect(phone.get_by_text("88.00")).to_be_visible()
    phone.get_by_role("button", name="确认付款 Pay").click()

    expect(phone).to_have_url(re.compile(r"/gifts/sent/\d+/"))
    expect(phone.locator("#claim-link")).to_be_visible()
    gift = Gift.objects.get(sku=tea)
    assert gift.payment.status == Payment.Status.SUCCEEDED
    assert gift.payment.gateway == "alipay"


def test_declining_at_alipays_cashier_leaves_the_gift_unpaid(
    phone: Page, alipay_shop, tea: Sku
) -> None:
    send_gift(phone, tea)

    expect(phone).to_have_url(re.compile(rf"^{re.escape(alipay_shop.base_url)}/"))
    phone.get_by_role("button", name="取消 Decline").click()

    expect(phone).to_have_url(re.compile(r"/gifts/sent/\d+/"))
    payment = Gift.objects.get(sku=tea).payment
    assert wait_until(lambda: Payment.objects.get(pk=payment.pk).status == Payment.Status.FAILED)
    phone.reload()
    expect(phone.locator("#claim-link")).to_have_count(0)
