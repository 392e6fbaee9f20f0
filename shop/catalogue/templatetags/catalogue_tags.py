"""Product cards, rendered once and then reused while what they show stays the same.

A card shows a product's title, its shop's name, its cover, the lowest price and whether
it is sold out. Its cache key is a digest of exactly those values (and the language), as
the page's own query has just read them. So there is nothing to invalidate and nothing
for a write path to forget: a new price, a sale that empties the stock, a new cover, a
renamed shop or product gives a new key and a fresh render on the next page, and a
delisted product or suspended shop is not in the query at all.
"""

import hashlib
import logging
from collections.abc import Iterable
from html import escape

from django import template
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from shop.catalogue import selectors
from shop.catalogue.models import Category, Product

logger = logging.getLogger(__name__)
register = template.Library()

CARD_TEMPLATE = "includes/product_card.html"
CARD_SECONDS = 600
"""How long an unchanged card is kept; a changed one is never served (see above)."""


def card_key(product: Product, language: str) -> str:
    """The cache key of a card with the data of `product` (with card data, see
    `selectors.with_card_data`) in `language`."""
    merchant = product.merchant
    shown = (
        language,
        product.pk,
        product.title,
        product.title_en,
        merchant.name,
        merchant.name_en,
        product.cover or "",
        bool(product.stock_total),
        str(product.min_price),
    )
    return "card:" + hashlib.sha256(repr(shown).encode()).hexdigest()


@register.simple_tag(takes_context=True)
def product_cards(context: template.Context, products: Iterable[Product]) -> SafeString:
    """`{% product_cards products %}`: the cards of `products` (one cache round trip)."""
    products = list(products)
    language = get_language()
    keys = [card_key(product, language) for product in products]
    try:
        found = cache.get_many(keys) if keys else {}
    except Exception:
        logger.warning("cache unavailable", exc_info=True)
        found = {}
    card = context.template.engine.get_template(CARD_TEMPLATE)
    rendered, html = {}, []
    for key, product in zip(keys, products, strict=True):
        if key not in found:
            rendered[key] = found[key] = card.render(context.new({"product": product}))
        html.append(found[key])
    if rendered:
        try:
            cache.set_many(rendered, CARD_SECONDS)
        except Exception:
            logger.warning("cache unavailable", exc_info=True)
    return mark_safe("".join(html))  # each card rendered by the autoescaping card template


@register.simple_tag
def category_options(categories: list[Category]) -> SafeString:
    """`<option>`s of every category's name, top-level then its children (the search box's
    suggestions without JavaScript), built here: the template loop cost a millisecond and a
    half of every page, and `format_html_join` still half of one."""
    return mark_safe(  # every name escaped here
        "".join(
            f'<option value="{escape(c.display_name)}">'
            for c in selectors.categories_flat(categories)
        )
    )


@register.simple_tag
def category_filter_options(categories: list[Category], chosen: Category | None) -> SafeString:
    """The listing filter's `<option>`s: every category, children indented under their
    parent, `chosen` selected; built here for the same reason as `category_options`."""
    chosen_slug = chosen.slug if chosen else None
    return mark_safe(  # every slug and name escaped here
        "".join(
            f'<option value="{escape(c.slug)}"{" selected" if c.slug == chosen_slug else ""}>'
            f"{indent}{escape(c.display_name)}</option>"
            for top in categories
            for c, indent in ((top, ""), *((child, "— ") for child in top.subcategories))
        )
    )
