"""The pages that show the charts and suggestions."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from merchants.models import MerchantStaff
from merchants.services import staff_group
from tests.factories import CategoryFactory, OccasionFactory, SkuFactory, UserFactory
from tests.gifts import gift_history

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def min_volume(settings):
    settings.DISCOVERY_RISING_MIN_ACCEPTED = 2


def test_home_shows_the_gift_chart_and_rising_brands(
    client, days_ago, recompute, min_volume
) -> None:
    sku = SkuFactory(product__title_en="Rose Tea", product__merchant__name_en="Qinghe Tea")
    gift_history(sku, when=days_ago(1), units=3)
    recompute()

    page = client.get(reverse("catalogue:home")).content.decode()

    assert "Gift chart" in page and "Rose Tea" in page and "3 accepted" in page
    assert "Rising brands" in page and "Qinghe Tea" in page and "+150%" in page


def test_home_says_so_when_nothing_was_accepted_this_week(client) -> None:
    page = client.get(reverse("catalogue:home")).content.decode()

    assert "No gifts were accepted in the last 7 days yet." in page
    assert "No brand is rising this week." in page


def test_chart_page_shows_one_categorys_chart(client, days_ago, recompute) -> None:
    tea = CategoryFactory(slug="tea", name_en="Tea")
    in_tea = SkuFactory(product__category=tea, product__title_en="Rose Tea")
    other = SkuFactory(product__title_en="Canvas Bag")
    gift_history(in_tea, when=days_ago(1))
    gift_history(other, when=days_ago(1))
    recompute()

    overall = client.get(reverse("discovery:gift_charts")).content.decode()
    tea_only = client.get(reverse("discovery:gift_charts"), {"category": "tea"}).content.decode()

    assert "Rose Tea" in overall and "Canvas Bag" in overall
    assert "Rose Tea" in tea_only and "Canvas Bag" not in tea_only


def test_finder_page_finds_gifts_for_an_occasion_and_budget(client) -> None:
    tea = CategoryFactory(slug="tea")
    OccasionFactory(slug="thanks", name_en="Thanks", categories=[tea])
    SkuFactory(product__category=tea, product__title_en="Rose Tea", price=Decimal("68.00"))
    SkuFactory(product__category=tea, product__title_en="Old Puer", price=Decimal("680.00"))
    SkuFactory(product__title_en="Canvas Bag", price=Decimal("68.00"))

    page = client.get(
        reverse("discovery:gift_finder"), {"occasion": "thanks", "budget": "50-100"}
    ).content.decode()

    assert "Rose Tea" in page
    assert "Old Puer" not in page and "Canvas Bag" not in page


def test_finder_page_ignores_unknown_choices(client) -> None:
    SkuFactory(product__title_en="Rose Tea")

    response = client.get(reverse("discovery:gift_finder"), {"occasion": "nope", "budget": "x"})

    assert response.status_code == 200
    assert "Rose Tea" in response.content.decode()


def _gave_together(this, other, days_ago) -> None:
    for sender in UserFactory.create_batch(2):
        gift_history(this, when=days_ago(2), sender=sender)
        gift_history(other, when=days_ago(2), sender=sender)


def test_product_page_shows_what_people_who_gave_it_also_gave(client, days_ago, recompute) -> None:
    this, other = SkuFactory(), SkuFactory(product__title_en="Rose Tea")
    _gave_together(this, other, days_ago)
    recompute()

    page = client.get(reverse("catalogue:product_detail", args=[this.product_id])).content
    assert "People who gave this also gave" in page.decode() and "Rose Tea" in page.decode()


def test_send_page_shows_what_people_who_gave_it_also_gave(client, days_ago, recompute) -> None:
    this, other = SkuFactory(), SkuFactory(product__title_en="Rose Tea")
    _gave_together(this, other, days_ago)
    recompute()
    client.force_login(UserFactory())

    page = client.get(reverse("gifting:send", args=[this.product_id])).content.decode()
    assert "People who gave this also gave" in page and "Rose Tea" in page


def test_merchant_sees_its_own_chart_positions_in_its_dashboard(
    client, days_ago, recompute, min_volume
) -> None:
    mine = SkuFactory(product__title_en="Rose Tea")
    theirs = SkuFactory(product__title_en="Canvas Bag")
    gift_history(theirs, when=days_ago(1), units=5)
    gift_history(mine, when=days_ago(1), units=2)
    recompute()
    owner = UserFactory(is_staff=True)
    owner.groups.add(staff_group())
    MerchantStaff.objects.create(user=owner, merchant=mine.product.merchant)
    client.force_login(owner)

    page = client.get(reverse("merchant_dashboard")).content.decode()

    assert "Your chart positions" in page
    assert "<td>All products</td><td>2</td><td>Rose Tea</td><td>2</td>" in page
    assert "Rising brands: No. 2" in page
    assert "Canvas Bag" not in page


def test_chart_page_is_served_from_the_page_cache(client) -> None:
    url = reverse("discovery:gift_charts")
    client.get(url)

    with CaptureQueriesContext(connection) as second:
        page = client.get(url)

    assert page.status_code == 200
    assert len(second.captured_queries) == 0


def test_a_recompute_shows_on_the_cached_chart_page_at_once(
    client, days_ago, recompute, django_capture_on_commit_callbacks
) -> None:
    url = reverse("discovery:gift_charts")
    gift_history(SkuFactory(product__title_en="Rose Tea"), when=days_ago(1))
    assert "Rose Tea" not in client.get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        recompute()

    assert "Rose Tea" in client.get(url).content.decode()
