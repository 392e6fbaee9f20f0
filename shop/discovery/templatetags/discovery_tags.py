"""Gift chart rows, rendered once and reused while what they show stays the same: the
chart page's 50 rows were most of its render."""

from collections.abc import Iterable

from django import template
from django.utils.safestring import SafeString

from shop.core import fragments
from shop.discovery.models import GiftChartEntry

register = template.Library()

ROW_TEMPLATE = "discovery/includes/gift_chart_row.html"


def row_shown(entry: GiftChartEntry) -> tuple:
    """What a chart row shows of `entry` (from `selectors.gift_chart`)."""
    product = entry.product
    return (
        entry.rank,
        entry.product_id,
        entry.cover or "",
        product.title,
        product.title_en,
        product.merchant.name,
        product.merchant.name_en,
        entry.accepted_units,
    )


@register.simple_tag(takes_context=True)
def chart_rows(context: template.Context, chart: Iterable[GiftChartEntry]) -> SafeString:
    """`{% chart_rows chart %}`: the rows of a gift chart (one cache round trip)."""
    return fragments.render_each(context, ROW_TEMPLATE, chart, name="entry", shown=row_shown)
