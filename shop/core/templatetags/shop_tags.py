from decimal import Decimal

from django import template
from django.core.files.storage import default_storage
from django.utils.http import urlencode

from shop.core.money import format_cny

register = template.Library()


@register.filter
def cny(amount: Decimal | None) -> str:
    """¥1,299.00: exact two-place yuan."""
    return format_cny(amount)


@register.filter
def media_url(path: str | None) -> str:
    """URL of a stored file path (e.g. an annotated thumbnail), with no query."""
    return default_storage.url(path) if path else ""


@register.simple_tag(takes_context=True)
def query_replace(context: template.Context, **changes: object) -> str:
    """The current query string with some parameters replaced (pagination, sorting)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(sorted(params.lists()), doseq=True) if params else "?"
