"""Concurrent requests on committed data: an Idempotency-Key does the work once, and the
prepaid balance is never overdrawn."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from gifting.models import Gift
from shop.catalogue.models import StockRecord
from shop.partners.models import BalanceEntry, Partner
from tests.factories import SkuFactory
from tests.partners import partner_with_key

from .conftest import body

THREADS = 5


def at_once(key: str, payloads: list[dict], headers: dict | None = None) -> list:
    barrier = threading.Barrier(len(payloads))

    def call(payload: dict) -> object:
        try:
            extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}
            client = Client()
            barrier.wait(timeout=10)
            return client.post(
                "/api/v1/gifts/",
                payload,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {key}",
                **extra,
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(len(payloads)) as pool:
        return list(pool.map(call, payloads))


@pytest.mark.django_db(transaction=True)
def test_identical_requests_at_once_with_one_idempotency_key_send_one_gift() -> None:
    partner, key = partner_with_key("Brand", balance="1000.00")
    sku = SkuFactory(price=Decimal("100.00"), stock=50)
    payload = {"sku": f"sku_{sku.pk}", "quantity": 1, "sender_name": "Brand"}
    responses = at_once(key, [payload] * THREADS, {"Idempotency-Key": "burst"})
    assert [r.status_code for r in responses] == [201] * THREADS
    assert len({body(r)["id"] for r in responses}) == 1
    assert Gift.objects.count() == 1
    assert Partner.objects.get(pk=partner.pk).balance == Decimal("900.00")
    assert StockRecord.objects.get(sku=sku).quantity == 49


@pytest.mark.django_db(transaction=True)
def test_gifts_at_once_never_overdraw_the_balance() -> None:
    partner, key = partner_with_key("Brand", balance="250.00")
    sku = SkuFactory(price=Decimal("100.00"), stock=50)
    payload = {"sku": f"sku_{sku.pk}", "quantity": 1, "sender_name": "Brand"}
    responses = at_once(key, [payload] * THREADS)
    assert sorted(r.status_code for r in responses) == [201, 201, 402, 402, 402]
    assert Gift.objects.count() == 2
    assert Partner.objects.get(pk=partner.pk).balance == Decimal("50.00")
    assert BalanceEntry.objects.filter(kind=BalanceEntry.Kind.GIFT_CHARGE).count() == 2
    assert StockRecord.objects.get(sku=sku).quantity == 48
