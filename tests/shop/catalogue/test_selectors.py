from decimal import Decimal

import pytest

from merchants.models import Merchant
from shop.catalogue import selectors
from shop.catalogue.models import Product
from tests.factories import CategoryFactory, MerchantFactory, ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db


def _product(**kwargs: object) -> Product:
    price = kwargs.pop("price", Decimal("10.00"))
    product = ProductFactory(**kwargs)
    SkuFactory(product=product, price=price)
    return product


@pytest.mark.parametrize(
    "status",
    [
        Product.Status.DRAFT,
        Product.Status.PENDING_REVIEW,
        Product.Status.REJECTED,
        Product.Status.DELISTED,
    ],
)
def test_only_listed_products_are_visible(status: str) -> None:
    listed = _product()
    _product(status=status)
    assert list(selectors.product_listing()) == [listed]


def test_products_of_a_suspended_merchant_are_hidden() -> None:
    _product(merchant=MerchantFactory(status=Merchant.Status.SUSPENDED))
    assert list(selectors.product_listing()) == []


def test_a_product_without_an_sku_on_sale_is_not_listed() -> None:
    product = ProductFactory()
    SkuFactory(product=product, is_active=False)
    assert list(selectors.product_listing()) == []


def test_a_top_level_category_includes_its_subcategories() -> None:
    food = CategoryFactory()
    coffee = CategoryFactory(parent=food)
    in_child = _product(category=coffee)
    in_top = _product(category=food)
    _product()
    assert set(selectors.product_listing(category=food)) == {in_child, in_top}
    assert list(selectors.product_listing(category=coffee)) == [in_child]


def test_price_sort_uses_the_lowest_sku_price() -> None:
    cheap = _product(price=Decimal("5.00"))
    dear = _product(price=Decimal("50.00"))
    SkuFactory(product=dear, price=Decimal("1.00"), is_active=False)
    assert list(selectors.product_listing(sort="price_asc")) == [cheap, dear]
    assert list(selectors.product_listing(sort="price_desc")) == [dear, cheap]
    assert selectors.product_listing(sort="price_asc")[0].min_price == Decimal("5.00")


def test_card_data_reports_sold_out_products() -> None:
    product = ProductFactory()
    SkuFactory(product=product, stock=0)
    SkuFactory(product=product, stock=0)
    assert selectors.product_listing().get().stock_total == 0


def test_product_detail_hides_skus_that_are_not_on_sale() -> None:
    product = ProductFactory()
    on_sale = SkuFactory(product=product)
    SkuFactory(product=product, is_active=False)
    assert selectors.product_detail(pk=product.pk).skus_on_sale == [on_sale]


def test_listing_cards_show_a_new_price_and_a_takedown_at_once() -> None:
    kept, taken_down = _product(price=Decimal("10.00")), _product()
    assert {c.pk for c in selectors.listing_cards(offset=0, limit=24)} == {kept.pk, taken_down.pk}

    kept.skus.update(price=Decimal("8.50"))
    Product.objects.filter(pk=taken_down.pk).update(status=Product.Status.DELISTED)
    assert [(c.pk, c.min_price) for c in selectors.listing_cards(offset=0, limit=24)] == [
        (kept.pk, Decimal("8.50"))
    ]


def test_listing_cards_read_one_page_of_the_listing_in_its_order() -> None:
    cheap, middle, _dear = (_product(price=Decimal(p)) for p in ("1.00", "2.00", "3.00"))
    assert [c.pk for c in selectors.listing_cards(sort="price_desc", offset=1, limit=2)] == [
        middle.pk,
        cheap.pk,
    ]


def test_sku_with_product_reads_what_deciding_a_gift_needs_in_one_query(
    django_assert_num_queries,
) -> None:
    sku = SkuFactory(product__category__parent=CategoryFactory())
    with django_assert_num_queries(1):
        found = selectors.sku_with_product(sku.pk)
        assert found.product.category.parent == sku.product.category.parent
        assert found.product.merchant == sku.product.merchant
    assert selectors.sku_with_product(sku.pk + 1000) is None
    assert selectors.sku_with_product(None) is None
