from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shop.catalogue.selectors import category_tree
from shop.core.page_cache import anonymous_page_cache

from . import selectors
from .forms import FinderForm

CHART_PAGE_LENGTH = 50


@anonymous_page_cache
def gift_charts(request: HttpRequest) -> HttpResponse:
    """The gift chart (overall or one top-level category) and rising brands; cached like
    the other storefront pages, and dropped from the cache when a recompute lands."""
    tabs = selectors.chart_categories()
    category = next((c for c in tabs if c.slug == request.GET.get("category")), None)
    chart = selectors.gift_chart(category=category, limit=CHART_PAGE_LENGTH)
    return render(
        request,
        "discovery/charts.html",
        {
            "categories": category_tree(),  # the search box's suggestions
            "tabs": tabs,
            "category": category,
            "chart": chart,
            "rising_brands": selectors.rising_brands(),
        },
    )


def gift_finder(request: HttpRequest) -> HttpResponse:
    """Pick an occasion, a budget and a category; gifts people accept come first."""
    form = FinderForm(
        request.GET, occasions=selectors.occasions(), categories=selectors.chart_categories()
    )
    return render(
        request,
        "discovery/finder.html",
        {"form": form, "products": selectors.gift_finder(**form.criteria())},
    )
