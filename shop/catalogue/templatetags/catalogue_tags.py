"""Product cards, the home page's categories and the category options every page shows."""

from collections.abc import Callable, Iterable
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from shop.catalogue import selectors
from shop.catalogue.models import Category, Product
from shop.core import fragments

register = template.Library()

CARD_TEMPLATE = "includes/product_card.html"


@register.simple_tag(takes_context=True)
def product_cards(
    context: template.Context, products: Iterable[selectors.Card | Product]
) -> SafeString:
    """`{% product_cards products %}`: the cards of `products` (`selectors.Card`s, or
    products read `with_card_data`), with one cache round trip."""
    shown = [p if isinstance(p, selectors.Card) else selectors.Card.of(p) for p in products]
    return fragments.render_each(context, CARD_TEMPLATE, shown, name="card", shown=tuple)


SECTION_TEMPLATE = "catalogue/includes/category_section.html"


def section_shown(top: Category) -> tuple:
    """What the home page shows of a top-level category (of `selectors.category_tree`)."""
    return (
        top.slug,
        top.name,
        top.name_en,
        top.giftable,
        tuple((child.slug, child.name, child.name_en) for child in top.subcategories),
    )


@register.simple_tag(takes_context=True)
def category_sections(context: template.Context, categories: list[Category]) -> SafeString:
    """`{% category_sections categories %}`: the home page's categories, each top-level one
    with its subcategories (their links were a fifth of the home page's render)."""
    return fragments.render_each(
        context, SECTION_TEMPLATE, categories, name="category", shown=section_shown
    )


@register.simple_tag
def category_options(categories: list[Category]) -> SafeString:
    """`<option>`s of every category's name, top-level then its children (the search box's
    suggestions without JavaScript), built here: the template loop cost a millisecond and a
    half of every page, and `format_html_join` still half of one."""
    return _per_tree(
        categories,
        "suggestions",
        lambda: "".join(
            f'<option value="{escape(c.display_name)}">'
            for c in selectors.categories_flat(categories)
        ),
    )


@register.simple_tag
def category_filter_options(categories: list[Category], chosen: Category | None) -> SafeString:
    """The listing filter's `<option>`s: every category, children indented under their
    parent, `chosen` selected; built here for the same reason as `category_options`."""
    chosen_slug = chosen.slug if chosen else None
    return _per_tree(
        categories,
        f"filter:{chosen_slug}",
        lambda: "".join(
            f'<option value="{escape(c.slug)}"{" selected" if c.slug == chosen_slug else ""}>'
            f"{indent}{escape(c.display_name)}</option>"
            for top in categories
            for c, indent in ((top, ""), *((child, "— ") for child in top.subcategories))
        ),
    )


_built: dict[tuple[int, str, str], tuple[list[Category], SafeString]] = {}
_BUILT_KEPT = 64


def _per_tree(tree: list[Category], name: str, build: Callable[[], str]) -> SafeString:
    """`build()`'s options, once per category tree, language and `name`.

    Each process keeps the tree it last read (`selectors.category_tree`) as one object
    while it is unchanged, so options built from that object are reused until a new tree
    (another object) comes: every page built them again, in time linear in the number of
    categories. Every name is escaped by `build`.
    """
    key = (id(tree), get_language() or "", name)
    hit = _built.get(key)
    if hit is not None and hit[0] is tree:
        return hit[1]
    if len(_built) >= _BUILT_KEPT:
        _built.clear()
    html = mark_safe(build())  # every slug and name escaped by `build`
    _built[key] = (tree, html)
    return html
