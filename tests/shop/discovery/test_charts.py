"""The gift chart and rising brands, from factory data with known answers."""

from decimal import Decimal

import pytest

from gifting.models import Gift
from shop.catalogue import services as catalogue
from shop.catalogue.models import Product
from shop.core.models import JobItem
from shop.discovery import selectors, services, tasks
from shop.discovery.models import ChartRun, GiftChartEntry
from tests.factories import CategoryFactory, MerchantFactory, SkuFactory
from tests.gifts import gift_history

pytestmark = pytest.mark.django_db


def chart(**kwargs) -> list[tuple[int, int, int]]:
    """(rank, product id, units) of the chart as the selector returns it."""
    return [(e.rank, e.product_id, e.accepted_units) for e in selectors.gift_chart(**kwargs)]


def brands() -> list[tuple[int, int, int, int]]:
    return [
        (e.rank, e.merchant_id, e.this_week, e.last_week) for e in selectors.rising_brands(limit=50)
    ]


# --- Gift chart ---------------------------------------------------------------------------


def test_gift_chart_ranks_products_by_units_accepted_in_the_last_7_days(
    days_ago, recompute
) -> None:
    a, b, c = SkuFactory(), SkuFactory(), SkuFactory()
    gift_history(a, when=days_ago(1), units=3)
    gift_history(b, when=days_ago(2), units=5)
    gift_history(c, when=days_ago(6.9))
    recompute()

    assert chart() == [
        (1, b.product_id, 5),
        (2, a.product_id, 3),
        (3, c.product_id, 1),
    ]


def test_equal_counts_share_a_rank_and_list_in_product_order(days_ago, recompute) -> None:
    a, b, c, d = (SkuFactory() for _ in range(4))
    for sku in (a, b, c):
        gift_history(sku, when=days_ago(1), units=2)
    gift_history(d, when=days_ago(1), units=1)
    recompute()

    assert chart() == [
        (1, a.product_id, 2),
        (1, b.product_id, 2),
        (1, c.product_id, 2),
        (4, d.product_id, 1),
    ]


def test_refunded_claims_do_not_count(days_ago, recompute) -> None:
    a, b = SkuFactory(), SkuFactory()
    gift_history(a, when=days_ago(1), units=3, refunded=2)
    gift_history(b, when=days_ago(1), units=2)
    recompute()

    assert chart() == [(1, b.product_id, 2), (2, a.product_id, 1)]


def test_partly_refunded_orders_still_count(days_ago, recompute) -> None:
    from shop.orders.models import Order

    a = SkuFactory()
    gift = gift_history(a, when=days_ago(1), units=2)
    Order.objects.filter(gift_claim__gift=gift).update(
        status=Order.Status.PARTIALLY_REFUNDED, refunded_amount=Decimal("1.00")
    )
    recompute()

    assert chart() == [(1, a.product_id, 2)]


def test_declined_gifts_do_not_count(days_ago, recompute) -> None:
    a, b = SkuFactory(), SkuFactory()
    gift_history(a, when=days_ago(1), claimed=0, status=Gift.Status.DECLINED)
    gift_history(b, when=days_ago(1))
    recompute()

    assert chart() == [(1, b.product_id, 1)]


def test_a_group_gift_counts_the_units_claimed_before_it_expired(days_ago, recompute) -> None:
    a = SkuFactory()
    gift_history(a, when=days_ago(1), units=5, claimed=2, status=Gift.Status.EXPIRED)
    recompute()

    assert chart() == [(1, a.product_id, 2)]


def test_claims_older_than_7_days_do_not_count(days_ago, recompute) -> None:
    a, b = SkuFactory(), SkuFactory()
    gift_history(a, when=days_ago(7.01), units=9)
    gift_history(b, when=days_ago(6.99))
    recompute()

    assert chart() == [(1, b.product_id, 1)]


def test_a_category_chart_ranks_its_own_and_its_subcategories_products(days_ago, recompute) -> None:
    top = CategoryFactory()
    leaf = CategoryFactory(parent=top)
    in_top = SkuFactory(product__category=top)
    in_leaf = SkuFactory(product__category=leaf)
    elsewhere = SkuFactory()
    gift_history(in_top, when=days_ago(1), units=1)
    gift_history(in_leaf, when=days_ago(1), units=2)
    gift_history(elsewhere, when=days_ago(1), units=3)
    recompute()

    assert chart(category=top) == [(1, in_leaf.product_id, 2), (2, in_top.product_id, 1)]
    assert chart(category=leaf) == [(1, in_leaf.product_id, 2)]
    assert [row[1] for row in chart()] == [
        elsewhere.product_id,
        in_leaf.product_id,
        in_top.product_id,
    ]


def test_a_product_delisted_after_the_run_leaves_the_chart_at_once(days_ago, recompute) -> None:
    a, b = SkuFactory(), SkuFactory()
    gift_history(a, when=days_ago(1), units=2)
    gift_history(b, when=days_ago(1))
    recompute()
    Product.objects.filter(pk=a.product_id).update(status=Product.Status.DELISTED)

    assert chart() == [(2, b.product_id, 1)]


def test_each_run_replaces_the_previous_snapshot(days_ago, recompute) -> None:
    a = SkuFactory()
    gift_history(a, when=days_ago(1))
    first = recompute()
    gift_history(a, when=days_ago(1))
    second = recompute()

    assert list(ChartRun.objects.values_list("pk", flat=True)) == [second.pk]
    assert not GiftChartEntry.objects.filter(run_id=first.pk).exists()
    assert chart() == [(1, a.product_id, 2)]


def test_a_read_chart_is_reused_without_a_query_until_the_next_run_lands(
    days_ago, recompute, django_assert_num_queries
) -> None:
    a, b = SkuFactory(), SkuFactory()
    gift_history(a, when=days_ago(1))
    recompute()
    assert chart() == [(1, a.product_id, 1)]
    with django_assert_num_queries(0):
        assert chart() == [(1, a.product_id, 1)]

    gift_history(b, when=days_ago(1), units=2)
    recompute()

    assert chart() == [(1, b.product_id, 2), (2, a.product_id, 1)]


def test_a_takedown_drops_the_reused_chart_at_once(days_ago, recompute) -> None:
    a, b = SkuFactory(), SkuFactory()
    gift_history(a, when=days_ago(1), units=2)
    gift_history(b, when=days_ago(1))
    recompute()
    assert len(chart()) == 2

    catalogue.product_delist(product=a.product)

    assert chart() == [(2, b.product_id, 1)]


def test_before_any_run_the_charts_are_empty() -> None:
    assert selectors.gift_chart() == []
    assert selectors.rising_brands() == []


# --- Rising brands ------------------------------------------------------------------------


def _accepted(merchant, *, this_week: int, last_week: int, days_ago) -> None:
    sku = SkuFactory(product__merchant=merchant)
    for _ in range(this_week):
        gift_history(sku, when=days_ago(3))
    for _ in range(last_week):
        gift_history(sku, when=days_ago(10))


@pytest.fixture
def min_volume(settings):
    settings.DISCOVERY_RISING_MIN_ACCEPTED = 3
    return 3


def test_brands_rank_by_growth_over_the_larger_of_last_week_and_the_minimum(
    days_ago, recompute, min_volume
) -> None:
    doubled, tripled_from_little, steady = (MerchantFactory() for _ in range(3))
    _accepted(doubled, this_week=8, last_week=4, days_ago=days_ago)  # 4 / 4 = 1.0
    _accepted(tripled_from_little, this_week=6, last_week=2, days_ago=days_ago)  # 4 / 3
    _accepted(steady, this_week=5, last_week=5, days_ago=days_ago)  # 0: not rising
    recompute()

    assert brands() == [(1, tripled_from_little.pk, 6, 2), (2, doubled.pk, 8, 4)]
    growth = {e.merchant_id: e.growth for e in selectors.rising_brands()}
    assert growth == {tripled_from_little.pk: pytest.approx(4 / 3), doubled.pk: 1.0}


def test_one_gift_does_not_top_the_rising_brands(days_ago, recompute, min_volume) -> None:
    newcomer, established = MerchantFactory(), MerchantFactory()
    _accepted(newcomer, this_week=2, last_week=0, days_ago=days_ago)  # below the minimum
    _accepted(established, this_week=4, last_week=3, days_ago=days_ago)
    recompute()

    assert brands() == [(1, established.pk, 4, 3)]


def test_brands_with_equal_growth_rank_by_volume_then_share_a_rank(
    days_ago, recompute, min_volume
) -> None:
    small, large, large_too = (MerchantFactory() for _ in range(3))
    _accepted(small, this_week=6, last_week=3, days_ago=days_ago)  # 3 / 3 = 1.0
    _accepted(large, this_week=8, last_week=4, days_ago=days_ago)  # 4 / 4 = 1.0
    _accepted(large_too, this_week=8, last_week=4, days_ago=days_ago)
    recompute()

    assert brands() == [(1, large.pk, 8, 4), (1, large_too.pk, 8, 4), (3, small.pk, 6, 3)]


def test_refunded_and_declined_gifts_do_not_make_a_brand_rise(
    days_ago, recompute, min_volume
) -> None:
    merchant = MerchantFactory()
    sku = SkuFactory(product__merchant=merchant)
    gift_history(sku, when=days_ago(2), units=5, refunded=3)
    gift_history(sku, when=days_ago(2), claimed=0, status=Gift.Status.DECLINED)
    recompute()
    assert brands() == []

    gift_history(sku, when=days_ago(2))
    recompute()
    assert brands() == [(1, merchant.pk, 3, 0)]


def test_a_suspended_merchant_leaves_the_rising_brands_at_once(
    days_ago, recompute, min_volume
) -> None:
    merchant = MerchantFactory()
    _accepted(merchant, this_week=4, last_week=0, days_ago=days_ago)
    recompute()
    merchant.status = merchant.Status.SUSPENDED
    merchant.save()

    assert brands() == []


def test_a_recompute_that_fails_is_recorded_and_waits_for_its_retry(monkeypatch) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("statement timeout")

    monkeypatch.setattr(services, "charts_recompute", broken)

    assert tasks.recompute_charts_task.run() is None
    item = JobItem.objects.get()
    assert (item.job, item.status) == ("discovery.recompute", JobItem.Status.RETRYING)
    assert "statement timeout" in item.error
