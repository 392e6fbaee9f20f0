from decimal import Decimal
from itertools import count

import pytest
from django.db.models import Min

from shop.catalogue.models import Product
from shop.core import compiled
from tests.factories import ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db

_keys = count()


def _key() -> tuple:
    """A key no other test has compiled in this process."""
    return ("test", next(_keys))


class Build:
    """Products by pk with their lowest price, counting how often it is asked to build."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return (
            Product.objects.annotate(low=Min("skus__price"))
            .order_by("pk")
            .values_list("title", "low")
        )


def test_a_key_is_compiled_once_and_its_rows_are_read_fresh() -> None:
    product = SkuFactory(price=Decimal("5.00")).product
    build, key = Build(), _key()
    assert compiled.rows(key, Product, build) == [(product.title, Decimal("5.00"))]

    Product.objects.filter(pk=product.pk).update(title="新标题")
    assert compiled.rows(key, Product, build) == [("新标题", Decimal("5.00"))]
    assert build.calls == 1


def test_rows_are_converted_as_the_orm_converts_them() -> None:
    SkuFactory(price=Decimal("12.30"))
    SkuFactory(price=Decimal("0.70"))
    build = Build()
    assert compiled.rows(_key(), Product, build) == list(build())


def test_the_page_is_a_parameter_of_the_run_not_of_the_key() -> None:
    products = [SkuFactory().product for _ in range(5)]
    build, key = Build(), _key()
    pages = [compiled.rows(key, Product, build, offset=n, limit=2) for n in (0, 2, 4)]
    assert [[title for title, _ in page] for page in pages] == [
        [p.title for p in products[0:2]],
        [p.title for p in products[2:4]],
        [products[4].title],
    ]
    assert build.calls == 1


def test_a_query_that_can_match_nothing_has_no_rows(django_assert_num_queries) -> None:
    SkuFactory()
    with django_assert_num_queries(0):
        assert compiled.rows(_key(), Product, lambda: Build()().none()) == []


def test_a_sliced_queryset_is_refused() -> None:
    with pytest.raises(ValueError, match="offset and limit, not as a slice"):
        compiled.rows(_key(), Product, lambda: Build()()[:3])


def test_an_offset_without_a_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="an offset needs a limit"):
        compiled.rows(_key(), Product, Build(), offset=24)


def test_the_least_recently_used_query_is_dropped_beyond_the_bound(monkeypatch) -> None:
    monkeypatch.setattr(compiled, "KEPT", 2)
    ProductFactory()
    first, second, third = _key(), _key(), _key()
    build = Build()
    for key in (first, second, first, third):  # `second` is now the least recently used
        compiled.rows(key, Product, build)
    assert build.calls == 3

    compiled.rows(first, Product, build)
    assert build.calls == 3
    compiled.rows(second, Product, build)
    assert build.calls == 4


class BuildFor:
    """A product by pk with its merchant and lowest price, counting how often it is built."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, pk):
        self.calls += 1
        return (
            Product.objects.filter(pk=pk)
            .select_related("merchant")
            .annotate(low=Min("skus__price"))
            .defer("description")
        )


def test_objects_are_the_instances_the_orm_builds(django_assert_num_queries) -> None:
    product = SkuFactory(price=Decimal("8.80")).product
    with django_assert_num_queries(1):
        [found] = compiled.objects(_key(), Product, BuildFor(), product.pk)
        assert (found.pk, found.title, found.low) == (product.pk, product.title, Decimal("8.80"))
        assert found.merchant.name == product.merchant.name
    assert found.get_deferred_fields() == {"description"}
    assert found == BuildFor()(product.pk).get()


def test_objects_compile_once_and_take_each_runs_argument() -> None:
    first, second = SkuFactory().product, SkuFactory().product
    build, key = BuildFor(), _key()
    assert [p.pk for p in compiled.objects(key, Product, build, first.pk)] == [first.pk]
    assert [p.pk for p in compiled.objects(key, Product, build, second.pk)] == [second.pk]
    assert compiled.objects(key, Product, build, second.pk + 1000) == []
    assert build.calls == 1


def test_objects_take_a_string_argument() -> None:
    product = ProductFactory(title="马克杯")
    found = compiled.objects(
        _key(), Product, lambda title: Product.objects.filter(title=title), "马克杯"
    )
    assert [p.pk for p in found] == [product.pk]


def test_an_argument_the_query_does_not_use_is_refused() -> None:
    with pytest.raises(ValueError, match="argument 0 does not reach the SQL"):
        compiled.objects(_key(), Product, lambda pk: Product.objects.all(), 1)


def test_an_argument_of_another_type_is_refused() -> None:
    with pytest.raises(TypeError, match="argument 0 is float: pass an int or a str"):
        compiled.objects(_key(), Product, BuildFor(), 1.0)


def test_a_prefetching_query_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot prefetch"):
        compiled.objects(
            _key(), Product, lambda pk: Product.objects.filter(pk=pk).prefetch_related("skus"), 1
        )


def test_rows_compile_once_and_take_each_runs_argument() -> None:
    first, second = ProductFactory(), ProductFactory()
    calls = []

    def titles(pk):
        calls.append(pk)
        return Product.objects.filter(pk=pk).values_list("title")

    key = _key()
    assert compiled.rows(key, Product, titles, first.pk) == [(first.title,)]
    assert compiled.rows(key, Product, titles, second.pk) == [(second.title,)]
    assert len(calls) == 1


def test_an_integer_no_column_can_hold_matches_nothing(django_assert_num_queries) -> None:
    ProductFactory()
    with django_assert_num_queries(0):
        assert compiled.objects(_key(), Product, BuildFor(), 2**63) == []
        assert (
            compiled.rows(_key(), Product, lambda pk: Build()().filter(pk=pk), -(2**63) - 1) == []
        )
