"""Measured: after the purge, a dump of the whole database holds none of the phones or
streets of gifts delivered longer ago than the retention, while a recent gift's are still
there (so the dump is really of these rows)."""

import os
import subprocess
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from gifting import services as gifting
from shop.orders import services as orders
from shop.orders.models import Order
from shop.privacy import services
from tests.gifts import live_gift, recipient

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump reads committed rows only


def pg_dump() -> str:
    db = connection.settings_dict
    command = ["pg_dump", "--data-only", "--no-owner", "--dbname", db["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db[key]:
            command += [flag, str(db[key])]
    env = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
    return subprocess.run(command, env=env, capture_output=True, check=True, text=True).stdout


def delivered_gift(n: int, days_ago: int) -> object:
    """A gift claimed through the services, shipped, delivered `days_ago` days ago."""
    gift = live_gift(Client())
    claim = gifting.gift_claim(
        gift=gift,
        recipient=recipient(phone=f"1398877{n:04d}", street=f"保俶路 {n} 号 {n} 室"),
        sku_id=None,
        user=None,
    )
    orders.order_ship(order=claim.order, carrier="SF", tracking_number=f"SF{n}")
    orders.order_mark_delivered(order=claim.order)
    Order.objects.filter(pk=claim.order_id).update(
        delivered_at=timezone.now() - timedelta(days=days_ago)
    )
    return claim


def test_the_dump_holds_no_phone_or_street_of_gifts_delivered_before_the_retention(
    settings,
) -> None:
    settings.PRIVACY_RETENTION_DAYS = 90
    old = [delivered_gift(n, days_ago=91 + n) for n in range(1, 4)]
    recent = delivered_gift(9, days_ago=30)
    assert all(claim.phone in pg_dump() for claim in [*old, recent])  # before: all there

    services.purge_run()
    dump = pg_dump()

    for claim in old:
        assert claim.phone not in dump, f"{claim.phone} is still in the database"
        assert claim.street not in dump, f"{claim.street} is still in the database"
    assert recent.phone in dump and recent.street in dump
    assert dump.count("杭州市") >= 8  # the record stays: each old order and claim its city
