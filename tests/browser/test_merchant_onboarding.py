"""A company opens a shop: it applies on a phone, an operator approves it in the admin, the
new owner sets a password from the emailed link, logs into the admin, adds a product with a
SKU and submits it, and an operator's approval puts it in the storefront search.

The live server runs in this process, so the approval email is read from
`django.core.mail.outbox`; SITE_URL points at the live server so its link does too.
"""

import io
import re
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from django.core import mail
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from merchants.models import Merchant, MerchantApplication, MerchantStaff
from shop.accounts.models import User
from shop.catalogue.models import Product
from shop.catalogue.services import product_search_index_refresh
from tests.browser.conftest import PHONE, TIMEOUT_MS
from tests.factories import CategoryFactory, MerchantFactory, ProductFactory, SkuFactory
from tests.merchants.world import merchant_user

OPERATOR_PASSWORD = "operator-horse-battery"
OWNER_PASSWORD = "Owner-Pass-2024!"
DESKTOP = {"width": 1280, "height": 900}


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def site_url(settings: object, server_url: str) -> str:
    settings.SITE_URL = server_url  # type: ignore[attr-defined]
    return server_url


@pytest.fixture
def problems() -> list[str]:
    return []


@pytest.fixture
def open_page(
    browser: Browser, server_url: str, problems: list[str]
) -> Iterator[Callable[..., Page]]:
    """New browser contexts (one per person, no shared cookies), each watched for errors."""
    contexts = []

    def make(viewport: dict = DESKTOP, mobile: bool = False) -> Page:
        context = browser.new_context(
            viewport=viewport,
            is_mobile=mobile,
            has_touch=mobile,
            locale="en-US",
            base_url=server_url,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
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
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def operator() -> User:
    return User.objects.create_superuser(
        email="operator@example.com", password=OPERATOR_PASSWORD, name="运营"
    )


@pytest.fixture
def categories() -> dict:
    top = CategoryFactory(name="食品", name_en="Food")
    return {
        "snacks": CategoryFactory(parent=top, name="糕点", name_en="Pastries", slug="pastries"),
        "tea": CategoryFactory(parent=top, name="茶叶", name_en="Tea", slug="tea"),
    }


def admin_login(page: Page, email: str, password: str) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("input[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def run_action(page: Page, label: str, *titles: str) -> None:
    """Tick rows of the changelist by their text and run the action called `label`."""
    for title in titles:
        page.locator("#result_list tr", has_text=title).locator("input.action-select").check()
    page.locator("select[name=action]").select_option(label=label)
    page.locator("button[name=index], input[name=index], .actions button").first.click()


def apply_for_a_shop(applicant: Page, categories: dict) -> None:
    """From the storefront: the footer of every page links to the application form."""
    applicant.goto("/")
    applicant.get_by_role("contentinfo").get_by_role("link", name="Open a shop").click()
    expect(applicant).to_have_url(re.compile(r"/merchants/open-a-shop/$"))
    expect(applicant.get_by_role("heading", level=1)).to_have_text("Open a shop")
    applicant.get_by_label("Company legal name").fill("杭州桂香食品有限公司")
    applicant.get_by_label("Shop name").fill("桂香坊")
    applicant.get_by_label("Unified Social Credit Code").fill("91350100m000100y43")
    applicant.get_by_label("Contact person").fill("王芳")
    applicant.get_by_label("Contact mobile").fill("138 0013 8000")
    applicant.get_by_label("Email").fill("owner@example.com")
    applicant.get_by_label(str(categories["snacks"])).check()
    applicant.get_by_label("Business licence").set_input_files(
        {"name": "licence.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    applicant.get_by_role("button", name="Send the application").click()
    expect(applicant).to_have_url(re.compile(r"/merchants/open-a-shop/[^/]+/$"))
    expect(applicant.locator(".status")).to_have_text("Waiting for review")


def approve(operator_page: Page) -> None:
    admin_login(operator_page, "operator@example.com", OPERATOR_PASSWORD)
    operator_page.goto("/admin/merchants/merchantapplication/")
    operator_page.get_by_role("link", name="桂香坊").click()
    expect(operator_page.get_by_text("91350100M000100Y43")).to_be_visible()
    operator_page.get_by_role("button", name="Approve and open the shop").click()
    expect(operator_page.locator(".messagelist")).to_contain_text("Approved: 桂香坊 is open.")


def set_password_from_the_email(owner: Page, server_url: str) -> None:
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    email = mail.outbox[0]
    assert email.to == ["owner@example.com"]
    link = re.search(rf"{re.escape(server_url)}/account/password-reset/\S+/", email.body)
    assert link, email.body
    owner.goto(link.group(0))
    expect(owner).to_have_url(re.compile(r"/set-password/$"))
    expect(owner.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    owner.locator("#id_new_password1").fill(OWNER_PASSWORD)
    owner.locator("#id_new_password2").fill(OWNER_PASSWORD)
    owner.get_by_role("button", name="Save password").click()
    expect(owner).to_have_url(re.compile(r"/account/password-reset/done/$"))


def test_a_company_applies_is_approved_and_its_owner_logs_into_the_admin(
    open_page, site_url, operator, categories, problems
) -> None:
    applicant = open_page(PHONE, mobile=True)
    apply_for_a_shop(applicant, categories)
    application = MerchantApplication.objects.get()
    assert application.documents.get().content_type == "image/png"

    approve(open_page())
    merchant = Merchant.objects.get(name="桂香坊")
    assert merchant.uscc == "91350100M000100Y43"
    assert list(merchant.categories.all()) == [categories["snacks"]]
    owner_user = MerchantStaff.objects.get(merchant=merchant).user

    applicant.reload()
    expect(applicant.locator(".status")).to_have_text("Approved")

    owner = open_page()
    set_password_from_the_email(owner, site_url)
    owner_user.refresh_from_db()
    assert owner_user.has_usable_password()

    admin_login(owner, "owner@example.com", OWNER_PASSWORD)
    expect(owner.get_by_role("link", name="Products", exact=True).first).to_be_visible()
    expect(owner.get_by_role("link", name="Merchant applications")).to_have_count(0)
    expect(owner.get_by_role("link", name="Payments")).to_have_count(0)
    owner.get_by_role("link", name="Dashboard").click()
    expect(owner.get_by_role("heading", name="桂香坊")).to_be_visible()
    expect(owner.locator("svg[aria-label='sales per day']")).to_be_visible()
    assert problems == []


def test_the_owner_submits_a_draft_and_the_operators_approval_lists_it(
    open_page, server_url, operator, problems
) -> None:
    merchant = MerchantFactory(name="桂香坊", name_en="Osmanthus House")
    category = CategoryFactory(name="糕点", name_en="Pastries")
    merchant.categories.add(category)
    owner_user = merchant_user(merchant, email="owner@example.com")
    owner_user.set_password(OWNER_PASSWORD)
    owner_user.save()
    draft = ProductFactory(
        merchant=merchant,
        category=category,
        title="桂花糕",
        title_en="Osmanthus Cake",
        status=Product.Status.DRAFT,
    )
    SkuFactory(product=draft, price=Decimal("38.00"), stock=20)
    product_search_index_refresh(products=[draft])

    shopper = open_page(PHONE, mobile=True)
    shopper.goto("/products/?q=osmanthus")
    expect(shopper.get_by_role("heading", name="Osmanthus Cake")).to_have_count(0)

    owner = open_page()
    admin_login(owner, "owner@example.com", OWNER_PASSWORD)
    owner.goto("/admin/catalogue/product/")
    run_action(owner, "Submit for review (runs the compliance check)", "桂花糕")
    expect(owner.locator(".messagelist")).to_contain_text("桂花糕: clean, waiting for review.")
    draft.refresh_from_db()
    assert draft.status == Product.Status.PENDING_REVIEW

    operator_page = open_page()
    admin_login(operator_page, "operator@example.com", OPERATOR_PASSWORD)
    operator_page.goto("/admin/catalogue/product/?status__exact=pending_review")
    run_action(operator_page, "Approve: list the selected products", "桂花糕")
    expect(operator_page.locator(".messagelist")).to_contain_text("1 products reviewed.")

    shopper.goto("/products/?q=osmanthus")
    result = shopper.get_by_role("heading", name="Osmanthus Cake")
    expect(result).to_be_visible()
    result.click()
    expect(shopper.get_by_role("heading", level=1)).to_have_text("Osmanthus Cake")
    assert problems == []


def test_the_owner_adds_a_product_with_a_sku_in_the_admin_and_it_reaches_the_storefront(
    open_page, server_url, operator, problems
) -> None:
    merchant = MerchantFactory(name="桂香坊", name_en="Osmanthus House")
    category = CategoryFactory(name="糕点", name_en="Pastries")
    merchant.categories.add(category)
    owner_user = merchant_user(merchant, email="owner@example.com")
    owner_user.set_password(OWNER_PASSWORD)
    owner_user.save()

    owner = open_page()
    admin_login(owner, "owner@example.com", OWNER_PASSWORD)
    owner.goto("/admin/catalogue/product/")
    owner.locator("a.addlink").first.click()
    expect(owner).to_have_url(re.compile(r"/admin/catalogue/product/add/$"))
    expect(owner.locator("#id_merchant")).to_have_count(0)
    expect(owner.locator("#id_category option")).to_have_count(2)  # blank + the one allowed
    owner.locator("#id_category").select_option(label=str(category))
    owner.locator("#id_title").fill("桂花糕")
    owner.locator("#id_title_en").fill("Osmanthus Cake")
    owner.locator("#skus-group a.add-row").click()
    owner.locator("input[name='skus-0-code']").fill("GH-1")
    owner.locator("input[name='skus-0-price']").fill("38.00")
    owner.locator("[name=_save]").click()
    expect(owner.locator(".messagelist")).to_contain_text("was added successfully")
    product = Product.objects.get(title="桂花糕")
    assert product.merchant == merchant and product.skus.get().code == "GH-1"

    run_action(owner, "Submit for review (runs the compliance check)", "桂花糕")
    expect(owner.locator(".messagelist")).to_contain_text("桂花糕: clean, waiting for review.")

    operator_page = open_page()
    admin_login(operator_page, "operator@example.com", OPERATOR_PASSWORD)
    operator_page.goto("/admin/catalogue/product/")
    run_action(operator_page, "Approve: list the selected products", "桂花糕")
    expect(operator_page.locator(".messagelist")).to_contain_text("1 products reviewed.")
    product.refresh_from_db()
    assert product.status == Product.Status.LISTED

    shopper = open_page(PHONE, mobile=True)
    shopper.goto("/products/?q=osmanthus")
    result = shopper.get_by_role("heading", name="Osmanthus Cake")
    expect(result).to_be_visible()
    result.click()
    expect(shopper.get_by_role("heading", level=1)).to_have_text("Osmanthus Cake")
    assert problems == []
