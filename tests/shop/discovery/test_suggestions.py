"""Gift suggestions: "people who gave this also gave…" and the gift finder."""

from decimal import Decimal

import pytest

from gifting.models import Gift
from merchants.models import Merchant
from shop.catalogue.models import Product, Sku, StockRecord
from shop.discovery import selectors
from shop.discovery.selectors import Budget
from tests.factories import CategoryFactory, OccasionFactory, SkuFactory, UserFactory
from tests.gifts import gift_history

pytestmark = pytest.mark.django_db


def ids(products) -> list[int]:
    return [p.pk for p in products]


def _given_by(senders, *skus, when) -> None:
    for sender in senders:
        for sku in skus:
            gift_history(sku, when=when, sender=sender)


# --- People who gave this also gave -------------------------------------------------------


def test_also_given_lists_products_the_same_senders_gave_most_shared_first(
    days_ago, recompute
) -> None:
    this, often, sometimes = SkuFactory(), SkuFactory(), SkuFactory()
    people = UserFactory.create_batch(3)
    _given_by(people, this, often, when=days_ago(5))
    _given_by(people[:2], sometimes, when=days_ago(5))
    recompute()

    assert ids(selectors.also_given(product=this.product)) == [
        often.product_id,
        sometimes.product_id,
    ]


def test_one_shared_sender_is_no_pattern(days_ago, recompute) -> None:
    this, other = SkuFactory(), SkuFactory()
    _given_by(UserFactory.create_batch(1), this, other, when=days_ago(5))
    recompute()

    assert selectors.also_given(product=this.product) == []


def test_declined_gifts_do_not_link_products(days_ago, recompute) -> None:
    this, other = SkuFactory(), SkuFactory()
    for sender in UserFactory.create_batch(2):
        gift_history(this, when=days_ago(5), sender=sender)
        gift_history(other, when=days_ago(5), sender=sender, claimed=0, status="declined")
    recompute()

    assert selectors.also_given(product=this.product) == []


def _unsuitable(kind: str, sku: Sku) -> None:
    """Make `sku`'s product one that must not be suggested."""
    product = sku.product
    if kind == "non-giftable category":
        product.category.giftable = False
        product.category.save()
    elif kind == "non-giftable parent category":
        product.category.parent = CategoryFactory(giftable=False)
        product.category.save()
    elif kind == "out of stock":
        StockRecord.objects.filter(sku=sku).update(quantity=0)
    elif kind == "delisted":
        Product.objects.filter(pk=product.pk).update(status=Product.Status.DELISTED)
    elif kind == "suspended merchant":
        Merchant.objects.filter(pk=product.merchant_id).update(status=Merchant.Status.SUSPENDED)
    elif kind == "over the gift price limit":
        Sku.objects.filter(pk=sku.pk).update(price=Decimal("20000.00"))


UNSUITABLE = [
    "non-giftable category",
    "non-giftable parent category",
    "out of stock",
    "delisted",
    "suspended merchant",
    "over the gift price limit",
]


@pytest.mark.parametrize("kind", UNSUITABLE)
def test_also_given_leaves_out_products_that_cannot_be_gifted_now(
    kind: str, days_ago, recompute
) -> None:
    this, fine, unsuitable = SkuFactory(), SkuFactory(), SkuFactory()
    _given_by(UserFactory.create_batch(2), this, fine, unsuitable, when=days_ago(5))
    recompute()
    _unsuitable(kind, unsuitable)

    assert ids(selectors.also_given(product=this.product)) == [fine.product_id]


# --- Gift finder ----------------------------------------------------------------------------


def test_finder_puts_gifts_people_accept_first(days_ago, recompute) -> None:
    accepted, declined = SkuFactory(), SkuFactory()
    for _ in range(4):
        gift_history(accepted, when=days_ago(10))
        gift_history(declined, when=days_ago(10), claimed=0, status=Gift.Status.DECLINED)
    recompute()

    assert ids(selectors.gift_finder()) == [accepted.product_id, declined.product_id]


def test_finder_counts_a_product_never_gifted_as_half_accepted(days_ago, recompute) -> None:
    liked, unknown, disliked = SkuFactory(), SkuFactory(), SkuFactory()
    gift_history(liked, when=days_ago(10), units=3)  # (3 + 1) / (3 + 2) = 0.8
    gift_history(disliked, when=days_ago(10), units=3, claimed=0)  # 1 / 5 = 0.2
    recompute()

    found = selectors.gift_finder()
    assert ids(found) == [liked.product_id, unknown.product_id, disliked.product_id]
    assert [p.acceptance for p in found] == pytest.approx([0.8, 0.5, 0.2])


def test_finder_ignores_gifts_still_waiting_for_their_recipient(days_ago, recompute) -> None:
    sku = SkuFactory()
    gift_history(sku, when=days_ago(0.1), claimed=0, status=Gift.Status.AWAITING_RECIPIENT)
    recompute()

    assert [p.acceptance for p in selectors.gift_finder()] == [0.5]


def test_finder_raises_recent_volume_at_the_same_acceptance(days_ago, recompute) -> None:
    older, recent = SkuFactory(), SkuFactory()
    gift_history(older, when=days_ago(20), units=4)
    gift_history(recent, when=days_ago(2), units=4)
    recompute()

    assert ids(selectors.gift_finder()) == [recent.product_id, older.product_id]


def test_finder_prefers_products_with_stock_to_spare(recompute) -> None:
    last_one, plenty = SkuFactory(stock=1), SkuFactory(stock=50)
    recompute()

    assert ids(selectors.gift_finder()) == [plenty.product_id, last_one.product_id]


@pytest.mark.parametrize("kind", UNSUITABLE)
def test_finder_leaves_out_products_that_cannot_be_gifted_now(kind: str, recompute) -> None:
    fine, unsuitable = SkuFactory(), SkuFactory()
    recompute()
    _unsuitable(kind, unsuitable)

    assert ids(selectors.gift_finder()) == [fine.product_id]


def test_finder_keeps_to_the_budget_with_a_sku_in_stock() -> None:
    cheap = SkuFactory(price=Decimal("30.00"))
    mid = SkuFactory(price=Decimal("80.00"))
    SkuFactory(product=cheap.product, price=Decimal("90.00"), stock=0)
    SkuFactory(price=Decimal("300.00"))

    found = selectors.gift_finder(budget=Budget(low=Decimal("50"), high=Decimal("100")))
    assert ids(found) == [mid.product_id]


def test_finder_finds_an_occasions_categories_and_their_subcategories() -> None:
    flowers = CategoryFactory()
    roses = CategoryFactory(parent=flowers)
    tea = CategoryFactory()
    in_roses, in_tea = SkuFactory(product__category=roses), SkuFactory(product__category=tea)
    SkuFactory()
    thanks = OccasionFactory(categories=[flowers, tea])

    assert set(ids(selectors.gift_finder(occasion=thanks))) == {
        in_roses.product_id,
        in_tea.product_id,
    }


def test_finder_narrows_to_a_category() -> None:
    top = CategoryFactory()
    inside = SkuFactory(product__category=CategoryFactory(parent=top))
    SkuFactory()

    assert ids(selectors.gift_finder(category=top)) == [inside.product_id]


def test_acceptance_is_accepted_over_sent_units_less_refunds_smoothed(days_ago, recompute) -> None:
    sku = SkuFactory()
    gift_history(sku, when=days_ago(10), units=3, refunded=1)  # 2 kept of 3
    gift_history(sku, when=days_ago(10), claimed=0, status=Gift.Status.DECLINED)  # 0 of 1
    gift_history(sku, when=days_ago(40), units=5)  # outside the 30 days
    recompute()

    (found,) = selectors.gift_finder()
    assert found.acceptance == pytest.approx((2 + 1) / (4 + 2))
