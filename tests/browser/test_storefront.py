"""A shopper on a phone: search, open a product, pick a variant, add it to the cart."""

import re
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import Page, expect

from shop.cart.models import CartLine
from shop.catalogue.models import Product
from shop.catalogue.services import product_search_index_refresh
from tests.factories import (
    CategoryFactory,
    MerchantFactory,
    ProductFactory,
    ProductImageFactory,
    SkuFactory,
)


def _indexed(*products: Product) -> None:
    """Factories save directly; the search vector is written by the catalogue service."""
    product_search_index_refresh(products=products)


def test_shopper_searches_picks_a_variant_and_adds_it_to_the_cart(
    page: Page, tmp_path: Path
) -> None:
    merchant = MerchantFactory(name="布艺小铺", name_en="Cloth Corner")
    category = CategoryFactory(name="包袋", name_en="Bags & Pouches")
    tote = ProductFactory(
        merchant=merchant, category=category, title="帆布托特包", title_en="Canvas Tote Bag"
    )
    SkuFactory(product=tote, attributes={"colour": "本色"}, price=Decimal("99.00"), stock=5)
    black = SkuFactory(
        product=tote, attributes={"colour": "黑色"}, price=Decimal("129.00"), stock=3
    )
    ProductImageFactory(product=tote)
    mug = ProductFactory(title="陶瓷马克杯", title_en="Ceramic Coffee Mug")
    SkuFactory(product=mug, price=Decimal("59.00"))
    _indexed(tote, mug)

    page.goto("/")
    page.screenshot(path=tmp_path / "0-home.png", full_page=True)
    page.get_by_label("Search products").fill("bag")
    page.get_by_role("search").get_by_role("button", name="Search").click()

    expect(page).to_have_url(re.compile(r"/products/\?q=bag$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “bag”")
    expect(page.locator("#result-count")).to_have_text("1 product")
    result = page.get_by_role("heading", name="Canvas Tote Bag")
    expect(result).to_be_visible()
    expect(page.get_by_role("heading", name="Ceramic Coffee Mug")).to_have_count(0)
    page.screenshot(path=tmp_path / "1-results.png", full_page=True)

    result.click()

    expect(page).to_have_url(re.compile(rf"/products/{tote.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Canvas Tote Bag")
    variants = page.locator("input[name=sku]")
    expect(variants).to_have_count(2)
    expect(variants.first).to_be_checked()
    second = variants.nth(1)
    second_label = page.locator("label.sku").nth(1)
    expect(second_label).to_contain_text("黑色")
    expect(second_label).to_contain_text("¥129.00")
    expect(second_label).to_contain_text("3 in stock")
    summary = page.locator("[data-selected]")
    expect(summary).to_contain_text("¥99.00")

    second.check()

    expect(second).to_be_checked()
    expect(summary).to_have_text(re.compile(r"Selected:\s*黑色\s*·\s*¥129\.00"))
    expect(page.get_by_role("spinbutton", name="Quantity")).to_have_attribute("max", "3")
    page.screenshot(path=tmp_path / "2-product.png", full_page=True)

    page.get_by_role("button", name="Add to cart").click()

    expect(page.get_by_role("status")).to_contain_text("Added to your cart.")
    # The chosen variant stays selected after the redirect back to the product.
    expect(page).to_have_url(re.compile(rf"/products/{tote.pk}/\?sku={black.pk}$"))
    expect(second).to_be_checked()
    page.screenshot(path=tmp_path / "3-added.png", full_page=True)
    page.get_by_role("link", name="Cart", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your cart")
    lines = page.locator(".cart__line")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text("Canvas Tote Bag")
    expect(lines.first).to_contain_text("黑色")
    expect(lines.first.locator(".price")).to_have_text("¥129.00")
    expect(page.locator(".total")).to_contain_text("¥129.00")
    page.screenshot(path=tmp_path / "4-cart.png", full_page=True)

    line = CartLine.objects.get()
    assert (line.sku_id, line.quantity) == (black.pk, 1)


def test_sold_out_variant_cannot_be_picked(page: Page, tmp_path: Path) -> None:
    mug = ProductFactory(title="陶瓷马克杯", title_en="Ceramic Coffee Mug")
    SkuFactory(product=mug, attributes={"size": "大号"}, price=Decimal("79.00"), stock=0)
    SkuFactory(product=mug, attributes={"size": "小号"}, price=Decimal("59.00"), stock=2)

    page.goto(f"/products/{mug.pk}/")

    sold_out, available = page.locator("input[name=sku]").all()
    expect(sold_out).to_be_disabled()
    expect(sold_out).not_to_be_checked()
    expect(page.locator("label.sku").first).to_contain_text("Sold out")
    expect(available).to_be_enabled()
    expect(available).to_be_checked()
    expect(page.locator("[data-selected]")).to_contain_text("¥59.00")
    page.screenshot(path=tmp_path / "sold-out.png", full_page=True)
