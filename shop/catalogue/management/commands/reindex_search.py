"""`manage.py reindex_search`: recompute every product's search terms (after an upgrade of
the segmentation, or to rebuild the typo lexicon)."""

import time
from typing import Any

from django.core.management.base import BaseCommand

from shop.catalogue import services


class Command(BaseCommand):
    help = "Re-index every product for search (terms, pinyin, synonyms, typo lexicon)."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        count = services.product_search_reindex()
        self.stdout.write(f"Re-indexed {count} products in {time.monotonic() - started:.1f} s.")
