"""Product cards are cached by what they show: the next page shows any change at once."""

from decimal import Decimal

import pytest
from django.urls import reverse

from merchants import services as merchant_services
from merchants.models import Merchant
from shop.catalogue import services
from shop.catalogue.models import StockRecord
from tests.factories import CategoryFactory, ProductImageFactory, SkuFactory

pytestmark = pytest.mark.django_db

CARD = "includes/product_card.html"


@pytest.fixture(autouse=True)
def _no_page_cache(settings) -> None:
    """Every request renders its page: only the card cache is left to serve stale cards."""
    settings.PAGE_CACHE_SECONDS = 0
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def sku():
    return SkuFactory(
        product__title_en="Mountain Coffee Beans",
        product__merchant__name_en="Mountain Coffee",
        price=Decimal("88.00"),
        stock=7,
    )


def _listing(client) -> str:
    return client.get(reverse("catalogue:product_list")).content.decode()


def test_an_unchanged_card_is_not_rendered_again(client, sku) -> None:
    first = client.get(reverse("catalogue:product_list"))
    second = client.get(reverse("catalogue:product_list"))

    assert CARD in [t.name for t in first.templates]
    assert CARD not in [t.name for t in second.templates]
    assert "Mountain Coffee Beans" in second.content.decode()


def test_a_new_price_shows_on_the_next_page(client, sku) -> None:
    assert "¥88.00" in _listing(client)
    sku.price = Decimal("66.00")
    services.sku_save(sku=sku)

    page = _listing(client)

    assert "¥66.00" in page and "¥88.00" not in page


def test_stock_sold_by_a_conditional_update_shows_sold_out_on_the_next_page(client, sku) -> None:
    assert "Sold out" not in _listing(client)
    # What checkout and gifts do: a conditional UPDATE, which sends no signal.
    StockRecord.objects.filter(sku=sku, quantity__gte=7).update(quantity=0)

    assert "Sold out" in _listing(client)


def test_a_new_title_shows_on_the_next_page(client, sku) -> None:
    assert "Mountain Coffee Beans" in _listing(client)
    sku.product.title_en = "Valley Tea Leaves"
    services.product_save(product=sku.product)

    page = _listing(client)

    assert "Valley Tea Leaves" in page and "Mountain Coffee Beans" not in page


def test_a_new_cover_shows_on_the_next_page(client, sku) -> None:
    _listing(client)
    image = ProductImageFactory(product=sku.product)

    assert image.thumbnail.url in _listing(client)


def test_a_renamed_shop_shows_on_the_next_page(client, sku) -> None:
    _listing(client)
    Merchant.objects.filter(pk=sku.product.merchant_id).update(name_en="Hill Coffee")

    assert "Hill Coffee" in _listing(client)


def test_a_delisted_product_disappears_from_the_next_page(client, sku) -> None:
    assert "Mountain Coffee Beans" in _listing(client)
    services.product_delist(product=sku.product)

    assert "Mountain Coffee Beans" not in _listing(client)


def test_a_suspended_shops_products_disappear_from_the_next_page(client, sku) -> None:
    assert "Mountain Coffee Beans" in _listing(client)
    merchant_services.merchant_suspend(merchant=sku.product.merchant)

    assert "Mountain Coffee Beans" not in _listing(client)


def test_each_language_has_its_own_card(client, sku) -> None:
    assert "Mountain Coffee Beans" in _listing(client)
    chinese = client.get(reverse("catalogue:product_list"), headers={"accept-language": "zh-hans"})
    page = chinese.content.decode()

    assert sku.product.title in page and "Mountain Coffee Beans" not in page


def test_a_new_category_shows_in_the_filters_on_the_next_page(client, sku) -> None:
    _listing(client)
    CategoryFactory(name_en="Tea sets", slug="tea-sets")

    assert 'value="tea-sets"' in _listing(client)
