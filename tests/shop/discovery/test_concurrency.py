"""The recompute reads gifts without locking them: gift writes never wait for it, nor it for them."""

import threading
import time

import pytest
from django.db import connection, transaction

from gifting.models import Gift
from shop.discovery import selectors, services
from tests.factories import SkuFactory
from tests.gifts import gift_history


@pytest.mark.django_db(transaction=True)
def test_recompute_finishes_while_a_gift_write_holds_its_row_locks(now, days_ago) -> None:
    sku = SkuFactory()
    gift = gift_history(sku, when=days_ago(1), units=2)
    locked, release = threading.Event(), threading.Event()

    def write_and_hold() -> None:
        with transaction.atomic():
            Gift.objects.select_for_update().filter(pk=gift.pk).update(message="held")
            gift_history(sku, when=days_ago(1))
            locked.set()
            release.wait(timeout=30)
        connection.close()

    writer = threading.Thread(target=write_and_hold)
    writer.start()
    try:
        assert locked.wait(timeout=10)
        started = time.monotonic()
        services.charts_recompute(now=now)
        took = time.monotonic() - started
    finally:
        release.set()
        writer.join(timeout=30)

    assert took < 5
    # The uncommitted gift is not in this snapshot: the run saw committed rows only.
    assert [(e.product_id, e.accepted_units) for e in selectors.gift_chart()] == [
        (sku.product_id, 2)
    ]
