"""Fragments rendered once and reused while what they show stays the same.

A fragment's cache key is a digest of exactly the values it shows (and the language), as
the page's own query has just read them. So there is nothing to invalidate and nothing
for a write path to forget: a new price, a sale that empties the stock, a new cover, a
renamed shop or product gives a new key and a fresh render on the next page, and a
delisted product or suspended shop is not in the query at all.
"""

import hashlib
import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from django import template
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

logger = logging.getLogger(__name__)
T = TypeVar("T")
SECONDS = 600
"""How long an unchanged fragment is kept; a changed one is never served (see above)."""


def render_each(
    context: template.Context,
    template_name: str,
    items: Iterable[T],
    *,
    name: str,
    shown: Callable[[T], tuple],
) -> SafeString:
    """`template_name` rendered for each of `items` (as `name`), from the cache where an
    item shows the same `shown(item)`: one cache round trip, and renders only for what
    changed. The template must show nothing of the item beyond `shown` and the language."""
    items = list(items)
    language = get_language()
    keys = [_key(template_name, language, shown(item)) for item in items]
    try:
        found = cache.get_many(keys) if keys else {}
    except Exception:
        logger.warning("cache unavailable", exc_info=True)
        found = {}
    fragment = context.template.engine.get_template(template_name)
    rendered, html = {}, []
    for key, item in zip(keys, items, strict=True):
        if key not in found:
            rendered[key] = found[key] = fragment.render(context.new({name: item}))
        html.append(found[key])
    if rendered:
        try:
            cache.set_many(rendered, SECONDS)
        except Exception:
            logger.warning("cache unavailable", exc_info=True)
    return mark_safe("".join(html))  # each fragment rendered by its autoescaping template


def _key(template_name: str, language: str, shown: tuple) -> str:
    digest = hashlib.sha256(repr((template_name, language, shown)).encode()).hexdigest()
    return f"fragment:{digest}"
