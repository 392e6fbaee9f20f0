"""Reads that tell demo rows from the rest, by the stable marks seeding gives them."""

import re

from django.db.models import QuerySet

from shop.catalogue.models import Product, Sku

from . import demo_data

_FIRST_SKU = re.compile(rf"^{re.escape(demo_data.SKU_CODE_PREFIX)}(\d{{6}})-1$")


def demo_products() -> QuerySet[Product]:
    """The products seeding created (they, and only they, have `DEMO-` SKU codes)."""
    return Product.objects.filter(skus__code__startswith=demo_data.SKU_CODE_PREFIX).distinct()


def demo_product_indices() -> set[int]:
    """Indices of the demo products already in the database, read from their first SKU code."""
    codes = Sku.objects.filter(
        code__startswith=demo_data.SKU_CODE_PREFIX, code__endswith="-1"
    ).values_list("code", flat=True)
    return {int(match[1]) for code in codes if (match := _FIRST_SKU.match(code))}
