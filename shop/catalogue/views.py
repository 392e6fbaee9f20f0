from collections.abc import Callable

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.views.generic import ListView

from gifting.selectors import giftable_skus, product_is_giftable
from gifting.views import accept_window_text
from shop.core.page_cache import anonymous_page_cache
from shop.discovery import selectors as discovery

from . import selectors
from .forms import SORT_CHOICES, ListingForm
from .models import Category


@anonymous_page_cache
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "catalogue/home.html",
        {
            "categories": selectors.category_tree(),
            "featured": selectors.product_featured(),
            "accept_window": accept_window_text(),
            "gift_chart": discovery.gift_chart(limit=10),
            "rising_brands": discovery.rising_brands(limit=5),
        },
    )


class KnownCountPaginator(Paginator):
    """A paginator told its count (`selectors.listing_count`, cached) instead of counting,
    which reads each page with `read(offset, limit)` (`selectors.listing_cards`).

    The cached count may lag; it never hides a product: a page is always read in full,
    and what it holds corrects the count (exactly, on the last page)."""

    def __init__(
        self, *args: object, count: int, read: Callable[[int, int], list], **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.known_count = count
        self.read = read

    @cached_property
    def count(self) -> int:
        return self.known_count

    def page(self, number: object) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        items = self.read(bottom, self.per_page)
        seen = bottom + len(items)
        known = seen if len(items) < self.per_page else max(self.count, seen)
        if known != self.count:
            self.__dict__["count"] = known
            self.__dict__.pop("num_pages", None)
        return self._get_page(items, number, self)


@method_decorator(anonymous_page_cache, name="dispatch")
class ProductListView(ListView):
    """Listing with search, category filter, price sort and pagination.

    `/products/?q=…&category=…&sort=…&page=…`, and `/c/<slug>/` for a category's page.
    """

    template_name = "catalogue/product_list.html"
    context_object_name = "products"
    paginate_by = settings.CATALOGUE_PAGE_SIZE

    def get(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        self.form = ListingForm(request.GET)
        self.tree = selectors.category_tree()
        self.category = self._category(kwargs.get("slug") or self.form.value("category"))
        if kwargs.get("slug") and self.category is None:
            raise Http404("No such category")
        return super().get(request, *args, **kwargs)

    def _category(self, slug: str) -> Category | None:
        for top in self.tree:
            if top.slug == slug:
                return top
            for child in top.subcategories:
                if child.slug == slug:
                    child.parent = top
                    return child
        return None

    def get_paginator(self, queryset, per_page, **kwargs: object) -> Paginator:
        count = selectors.listing_count(
            queryset, query=self.form.value("q"), category=self.category
        )
        return KnownCountPaginator(queryset, per_page, count=count, read=self._cards, **kwargs)

    def _cards(self, offset: int, limit: int) -> list[selectors.Card]:
        return selectors.listing_cards(
            query=self.form.value("q"),
            category=self.category,
            sort=self.form.value("sort"),
            offset=offset,
            limit=limit,
        )

    def get_queryset(self):
        return selectors.product_listing(
            query=self.form.value("q"), category=self.category, sort=self.form.value("sort")
        )

    def get_context_data(self, **kwargs: object) -> dict:
        context = super().get_context_data(
            form=self.form,
            categories=self.tree,
            category=self.category,
            query=self.form.value("q"),
            sort=self.form.value("sort"),
            sort_choices=SORT_CHOICES,
            **kwargs,
        )
        query = context["query"]
        if query and not context["paginator"].count:
            context.update(
                closest_categories=selectors.closest_categories(self.tree, query),
                did_you_mean=selectors.did_you_mean(query, selectors.search_corrections(query)),
                gift_chart=discovery.gift_chart(limit=6),
            )
        return context


SUGGEST_MAX_AGE = 60
"""Seconds a browser (or CDN) may reuse a suggestion answer; the server's page cache
holds it PAGE_CACHE_SECONDS on top."""


@anonymous_page_cache
def search_suggest(request: HttpRequest) -> JsonResponse:
    """`/search/suggest/?q=…`: products, categories and shops for the search box, as JSON."""
    query = ListingForm(request.GET).value("q")
    found = selectors.search_suggestions(query) if query else {}
    listing = reverse("catalogue:product_list")
    response = JsonResponse(
        {
            "query": query,
            "products": [
                {"title": p.display_title, "url": reverse("catalogue:product_detail", args=[p.pk])}
                for p in found.get("products", [])
            ],
            "categories": [
                {"name": c.display_name, "url": reverse("catalogue:category", args=[c.slug])}
                for c in found.get("categories", [])
            ],
            "shops": [
                {"name": m.display_name, "url": f"{listing}?{urlencode({'q': m.name})}"}
                for m in found.get("shops", [])
            ],
        }
    )
    patch_cache_control(response, public=True, max_age=SUGGEST_MAX_AGE)
    return response


@anonymous_page_cache
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_detail(pk=pk)
    skus = product.skus_on_sale
    available = [s for s in skus if s.stock.quantity > 0]
    chosen = request.GET.get("sku", "")
    selected = next(
        (s for s in available if str(s.pk) == chosen), available[0] if available else None
    )
    return render(
        request,
        "catalogue/product_detail.html",
        {
            "product": product,
            "skus": skus,
            "selected_sku": selected,
            "images": product.gallery,
            "max_quantity": settings.CART_MAX_LINE_QUANTITY,
            "gift_skus": giftable_skus(product, skus),
            "giftable": product_is_giftable(product),
            "also_given": discovery.also_given(product=product),
        },
    )
