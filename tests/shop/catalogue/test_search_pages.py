"""The search pages: suggestions while typing, and what a search that finds nothing shows."""

import pytest
from django.urls import reverse

from shop.discovery.models import ChartRun, GiftChartEntry
from tests.factories import CategoryFactory, MerchantFactory
from tests.search import indexed

pytestmark = pytest.mark.django_db


def _suggest(client, **params: str) -> dict:
    response = client.get(reverse("catalogue:search_suggest"), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_suggestions_offer_products_categories_and_shops_for_an_unfinished_word(client) -> None:
    shop = MerchantFactory(name="山野咖啡", name_en="Mountain Coffee")
    coffee = CategoryFactory(name="咖啡", name_en="Coffee")
    product = indexed(title="挂耳咖啡", title_en="Drip Coffee", category=coffee, merchant=shop)

    found = _suggest(client, q="kaf")

    assert [p["url"] for p in found["products"]] == [f"/products/{product.pk}/"]
    assert [c["url"] for c in found["categories"]] == [f"/c/{coffee.slug}/"]
    assert [s["name"] for s in found["shops"]] == [shop.display_name]


def test_suggestions_may_be_kept_by_the_browser_for_a_minute(client) -> None:
    response = client.get(reverse("catalogue:search_suggest"), {"q": "bag"})
    assert "max-age=60" in response["Cache-Control"]


@pytest.mark.parametrize(
    "params", [{}, {"q": ""}, {"q": "x" * 5000}, {"q": "%00\x00"}, {"q": ["a", "b"]}, {"q": "'\""}]
)
def test_suggestions_answer_odd_parameters_without_an_error(client, params: dict) -> None:
    response = client.get(reverse("catalogue:search_suggest"), params)
    assert response.status_code == 200


def test_a_search_that_finds_nothing_says_so_and_offers_other_ways(client) -> None:
    CategoryFactory(name="杯具", name_en="Mugs & Cups", slug="mugs-cups")
    mug = indexed(title="马克杯", title_en="Ceramic Mug")
    run = ChartRun.objects.create(computed_at="2026-01-01T00:00Z")
    GiftChartEntry.objects.create(run=run, product=mug, rank=1, accepted_units=3)

    response = client.get(
        reverse("catalogue:product_list"), {"q": "mugz cupz"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    page = response.content.decode()
    assert "Nothing matches “mugz cupz”" in page
    assert 'id="did-you-mean"' in page and "mug cupz" in page
    assert response.context["closest_categories"][0].slug == "mugs-cups"
    assert 'id="no-results-chart"' in page and "Ceramic Mug" in page


def test_a_search_that_finds_nothing_keeps_the_query_escaped(client) -> None:
    response = client.get(reverse("catalogue:product_list"), {"q": "<script>alert(1)</script>"})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_the_search_box_offers_the_categories_without_javascript(client) -> None:
    CategoryFactory(name="围巾", name_en="Scarves")
    response = client.get(reverse("catalogue:product_list"), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert 'list="search-suggestions"' in page
    assert '<datalist id="search-suggestions"><option value="Scarves">' in page


def test_a_product_listed_after_its_search_was_counted_shows_at_once(client, settings) -> None:
    """The listing's count is reused for a while; it must never hide a new product."""
    settings.PAGE_CACHE_SECONDS = 0
    assert "Nothing matches" in client.get("/products/?q=osmanthus", HTTP_ACCEPT_LANGUAGE="en").text
    indexed(title="桂花糕", title_en="Osmanthus Cake")
    page = client.get("/products/?q=osmanthus", HTTP_ACCEPT_LANGUAGE="en").text
    assert "Osmanthus Cake" in page
    assert "Nothing matches" not in page
