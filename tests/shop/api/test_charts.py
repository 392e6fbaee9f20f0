"""GET /api/v1/charts/gifts/ and /charts/rising-brands/: the beat-computed charts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shop.discovery import services
from tests.factories import CategoryFactory, MerchantFactory, SkuFactory
from tests.gifts import gift_history
from tests.partners import api_for

from .conftest import assert_problem, body

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    return api_for(client, "Chart reader")[1]


def _days_ago(days: float):
    return timezone.now() - timedelta(days=days)


def test_the_gift_chart_lists_products_by_accepted_gifts(api) -> None:
    top, second = SkuFactory(), SkuFactory()
    gift_history(top, when=_days_ago(1), units=4)
    gift_history(second, when=_days_ago(2), units=2)
    services.charts_recompute()

    results = body(api.get("/api/v1/charts/gifts/"))

    assert [(r["rank"], r["product"], r["accepted_units"]) for r in results["results"]] == [
        (1, f"prod_{top.product_id}", 4),
        (2, f"prod_{second.product_id}", 2),
    ]
    assert results["next"] is None
    first = results["results"][0]
    assert first["merchant"] == f"mer_{top.product.merchant_id}"
    assert first["computed_at"][-6] in "+-" or first["computed_at"].endswith("Z")


def test_the_gift_chart_of_a_category_lists_only_that_category(api) -> None:
    flowers, tea = CategoryFactory(), CategoryFactory()
    rose = SkuFactory(product__category=flowers)
    gift_history(rose, when=_days_ago(1), units=2)
    gift_history(SkuFactory(product__category=tea), when=_days_ago(1), units=5)
    services.charts_recompute()

    results = body(api.get("/api/v1/charts/gifts/", category=f"cat_{flowers.pk}"))["results"]

    assert [r["product"] for r in results] == [f"prod_{rose.product_id}"]


def test_the_limit_cuts_the_chart(api) -> None:
    for units in (3, 2, 1):
        gift_history(SkuFactory(), when=_days_ago(1), units=units)
    services.charts_recompute()

    results = body(api.get("/api/v1/charts/gifts/", limit="2"))["results"]

    assert [r["accepted_units"] for r in results] == [3, 2]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "51"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"category": "cat_999999"}, "category"),
        ({"category": "tea"}, "category"),
    ],
)
def test_bad_chart_parameters_are_422(api, params, field) -> None:
    problem = assert_problem(api.get("/api/v1/charts/gifts/", **params), 422, "validation")
    assert list(problem["errors"]) == [field]


def test_rising_brands_rank_by_growth_and_leave_out_small_volumes(api, settings) -> None:
    settings.DISCOVERY_RISING_MIN_ACCEPTED = 3
    rising, tiny = MerchantFactory(), MerchantFactory()
    sku = SkuFactory(product__merchant=rising)
    for _ in range(6):
        gift_history(sku, when=_days_ago(3))
    for _ in range(2):
        gift_history(sku, when=_days_ago(10))
    gift_history(SkuFactory(product__merchant=tiny), when=_days_ago(3))
    services.charts_recompute()

    results = body(api.get("/api/v1/charts/rising-brands/"))["results"]

    assert [(r["merchant"], r["this_week"], r["last_week"]) for r in results] == [
        (f"mer_{rising.pk}", 6, 2)
    ]
    assert results[0]["growth"] == pytest.approx(4 / 3, abs=1e-4)


def test_charts_need_an_api_key(client, db) -> None:
    for path in ("/api/v1/charts/gifts/", "/api/v1/charts/rising-brands/"):
        assert_problem(client.get(path), 401, "unauthorized")


def test_the_chart_reads_a_constant_number_of_queries(api, django_assert_max_num_queries) -> None:
    for units in range(1, 21):
        gift_history(SkuFactory(), when=_days_ago(1), units=units)
    services.charts_recompute()
    with django_assert_max_num_queries(4):
        assert len(body(api.get("/api/v1/charts/gifts/", limit="20"))["results"]) == 20
