"""The category options every page shows (the search box's suggestions, the listing's
filter) are built once per category tree and language, and never outlive either."""

import pytest
from django.urls import reverse

from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_page_cache(settings) -> None:
    settings.PAGE_CACHE_SECONDS = 0


def _listing(client, language: str = "en", path: str | None = None) -> str:
    return client.get(path or reverse("catalogue:product_list"), HTTP_ACCEPT_LANGUAGE=language).text


def test_a_renamed_category_is_offered_under_its_new_name_at_once(client) -> None:
    scarves = CategoryFactory(name="围巾", name_en="Scarves")
    assert '<option value="Scarves">' in _listing(client)
    scarves.name_en = "Shawls"
    scarves.save()
    page = _listing(client)
    assert '<option value="Shawls">' in page
    assert "Scarves" not in page


def test_each_language_is_offered_its_own_names(client) -> None:
    CategoryFactory(name="围巾", name_en="Scarves")
    assert '<option value="Scarves">' in _listing(client, "en")
    chinese = _listing(client, "zh-hans")
    assert '<option value="围巾">' in chinese
    assert "Scarves" not in chinese


def test_the_filter_marks_the_category_being_shown(client) -> None:
    tea, coffee = (
        CategoryFactory(name="茶", slug="tea"),
        CategoryFactory(name="咖啡", slug="coffee"),
    )
    on_tea = _listing(client, path=reverse("catalogue:category", args=[tea.slug]))
    on_coffee = _listing(client, path=reverse("catalogue:category", args=[coffee.slug]))
    assert '<option value="tea" selected>' in on_tea
    assert '<option value="coffee">' in on_tea
    assert '<option value="coffee" selected>' in on_coffee
    assert '<option value="tea">' in on_coffee
