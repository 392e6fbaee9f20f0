from decimal import Decimal

import pytest
from django.urls import reverse

from shop.catalogue.models import Product
from tests.factories import CategoryFactory, ProductFactory, ProductImageFactory, SkuFactory

pytestmark = pytest.mark.django_db


def _product(**kwargs: object) -> Product:
    product = ProductFactory(**kwargs)
    SkuFactory(product=product, price=Decimal("129.00"), attributes={"colour": "黑色"})
    return product


def test_home_shows_categories_and_featured_products(client) -> None:
    category = CategoryFactory(name="食品", name_en="Food")
    _product(title="精选咖啡", featured=True, category=category)
    _product(title="普通茶", featured=False)
    response = client.get(reverse("catalogue:home"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "食品" in response.text
    assert "精选咖啡" in response.text
    assert "普通茶" not in response.text


@pytest.mark.parametrize(("language", "label"), [("en", "Open a shop"), ("zh-hans", "我要开店")])
def test_home_invites_merchants_to_open_a_shop(client, language: str, label: str) -> None:
    response = client.get(reverse("catalogue:home"), HTTP_ACCEPT_LANGUAGE=language)
    invitation = response.text.split('class="panel open-shop"', 1)[1].split("</section>", 1)[0]
    assert f'href="{reverse("merchants:apply")}">{label}</a>' in invitation


@pytest.mark.parametrize(("language", "label"), [("en", "Open a shop"), ("zh-hans", "我要开店")])
def test_every_page_links_to_open_a_shop_in_the_footer(client, language: str, label: str) -> None:
    for url in (reverse("catalogue:home"), reverse("catalogue:product_list")):
        footer = client.get(url, HTTP_ACCEPT_LANGUAGE=language).text.split("<footer", 1)[1]
        assert f'href="{reverse("merchants:apply")}">{label}</a>' in footer, url


def test_listing_shows_price_from_the_cheapest_sku(client) -> None:
    product = _product(title="托特包")
    SkuFactory(product=product, price=Decimal("99.50"))
    response = client.get(reverse("catalogue:product_list"))
    assert response.status_code == 200
    assert "托特包" in response.text
    assert "¥99.50" in response.text


def test_listing_paginates(client, settings) -> None:
    for _ in range(settings.CATALOGUE_PAGE_SIZE + 1):
        _product()
    first = client.get(reverse("catalogue:product_list"))
    second = client.get(reverse("catalogue:product_list"), {"page": 2})
    assert len(first.context["products"]) == settings.CATALOGUE_PAGE_SIZE
    assert len(second.context["products"]) == 1


@pytest.mark.parametrize("page", ["2", "0", "-1", "abc", "99999999999999999999"])
def test_a_page_number_out_of_range_is_a_404(client, page: str) -> None:
    _product()
    response = client.get(reverse("catalogue:product_list"), {"page": page})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "<script>alert(1)</script>"},
        {"category": "no-such-category"},
        {"category": "../../etc/passwd"},
        {"q": "x" * 1000},
        {"q": "'; DROP TABLE catalogue_product; --"},
        {"q": "\x00"},
        {"q": "&|!:*()"},
        {"page": "1", "sort": ["price_asc", "price_desc"]},
    ],
)
def test_odd_query_strings_get_a_clean_page(client, params: dict) -> None:
    _product()
    response = client.get(reverse("catalogue:product_list"), params)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text


def test_search_for_bag_lists_only_matching_products(client) -> None:
    from shop.catalogue import services

    bag = _product(title="帆布包", title_en="Canvas Bag")
    tea = _product(title="龙井茶", title_en="Longjing Tea")
    services.product_search_index_refresh(
        products=Product.objects.select_related("category", "merchant").filter(
            pk__in=[bag.pk, tea.pk]
        )
    )
    response = client.get(reverse("catalogue:product_list"), {"q": "bag"})
    assert [card.pk for card in response.context["products"]] == [bag.pk]


def test_category_page_lists_its_products(client) -> None:
    category = CategoryFactory(slug="coffee")
    in_category = _product(category=category)
    _product()
    response = client.get(reverse("catalogue:category", args=["coffee"]))
    assert [card.pk for card in response.context["products"]] == [in_category.pk]


def test_the_category_filter_indents_subcategories_and_selects_the_one_shown(client) -> None:
    top = CategoryFactory(slug="food", name="食品", name_en="Food")
    CategoryFactory(slug="coffee", name="咖啡", name_en="Coffee", parent=top)

    html = client.get(reverse("catalogue:category", args=["coffee"])).content.decode()

    assert '<option value="food">食品</option>' in html
    assert '<option value="coffee" selected>— 咖啡</option>' in html


def test_an_unknown_category_page_is_a_404(client) -> None:
    assert client.get("/c/no-such-category/").status_code == 404


def test_product_page_shows_every_sku_with_price_and_stock(client) -> None:
    product = ProductFactory(title="托特包")
    SkuFactory(product=product, attributes={"colour": "黑色"}, price=Decimal("129.00"), stock=7)
    SkuFactory(product=product, attributes={"colour": "白色"}, price=Decimal("139.00"), stock=0)
    ProductImageFactory(product=product)
    response = client.get(
        reverse("catalogue:product_detail", args=[product.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "黑色" in response.text and "¥129.00" in response.text and "7 in stock" in response.text
    assert "白色" in response.text and "¥139.00" in response.text and "Sold out" in response.text
    assert "Add to cart" in response.text


def test_a_fully_sold_out_product_has_no_add_to_cart_button(client) -> None:
    product = ProductFactory()
    SkuFactory(product=product, stock=0)
    response = client.get(
        reverse("catalogue:product_detail", args=[product.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Add to cart" not in response.text


@pytest.mark.parametrize("status", [Product.Status.DRAFT, Product.Status.DELISTED])
def test_an_unlisted_product_page_is_a_404(client, status: str) -> None:
    product = _product(status=status)
    assert client.get(reverse("catalogue:product_detail", args=[product.pk])).status_code == 404


def test_unknown_product_ids_are_a_404_page(client) -> None:
    response = client.get("/products/999999999/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "We couldn't find that page" in response.text
    assert client.get("/products/abc/").status_code == 404
    assert client.get("/products/99999999999999999999999/").status_code == 404


def test_a_product_id_no_column_can_hold_is_a_404(client) -> None:
    assert client.get(f"/products/{2**63}/").status_code == 404
