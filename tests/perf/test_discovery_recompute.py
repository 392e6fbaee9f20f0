"""Gift charts at volume: the recompute over 1,000,000 gifts, with gift writes beside it.

What is measured (figures in the table `make bench` prints, and in tests/perf/results/):

- `recompute`: `charts_recompute` over BENCH_CHART_GIFTS gifts (default 1,000,000; about
  700,000 accepted with their claims and orders, 3 % of those refunded) from 200,000
  senders, 2,000 products of 40 merchants, spread over the last 28 days: seconds per run
  (three runs) and the rows each run writes.
- `concurrent writes`: while each run goes on, a second connection keeps writing gifts as
  the shop does (insert a paid gift; claim one: a compare-and-set UPDATE of a gift the
  recompute is reading, plus an order and a claim), one transaction each. Their latency
  (p50, max) is compared with the same writes on an idle database. The recompute only
  reads gifts, with plain MVCC reads, so the writes must never wait for it: the writer
  runs with `lock_timeout` LOCK_TIMEOUT, so any lock wait that long fails the bench, and a
  write slower than WRITE_LIMIT seconds (a stall, not a lock) fails it too.
- `pages`: with the million gifts in place, the home page, the chart page, the gift finder
  and a product page: SQL statements and milliseconds (they read the summaries only).

The data is written with `generate_series` in a few statements (FK triggers off while
loading, as a bulk load would), not with factories.
"""

import itertools
import os
import statistics
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gifting.models import Gift
from shop.discovery import selectors, services
from shop.discovery.models import AlsoGivenEntry, GiftChartEntry, ProductGiftStats, RisingBrandEntry
from tests.factories import CategoryFactory, MerchantFactory, OccasionFactory, PaymentFactory

GIFTS = int(os.environ.get("BENCH_CHART_GIFTS", "1000000"))
SENDERS = 200_000
PRODUCTS = 2_000
MERCHANTS = 40
DAYS = 28
RUNS = 3
WRITE_LIMIT = 5.0
LOCK_TIMEOUT = "200ms"
_serial = itertools.count(1)


def _load(gifts: int) -> None:
    """Catalogue, senders, gifts, and the orders and claims of the accepted ones."""
    merchants = [MerchantFactory() for _ in range(MERCHANTS)]
    tops = [CategoryFactory() for _ in range(5)]
    leaves = [CategoryFactory(parent=tops[n % 5]) for n in range(15)]
    OccasionFactory(slug="birthday", categories=tops)
    params = {
        "products": PRODUCTS,
        "senders": SENDERS,
        "gifts": gifts,
        "seconds": DAYS * 24 * 3600,
        "merchant0": merchants[0].pk,
        "merchants": MERCHANTS,
        "leaf0": leaves[0].pk,
        "leaves": len(leaves),
    }
    statements = [
        "SET LOCAL session_replication_role = replica",
        """INSERT INTO catalogue_product (merchant_id, category_id, title, title_en, description,
               description_en, status, featured, review_note, search_document, search_title,
               created_at, updated_at)
           SELECT %(merchant0)s + i %% %(merchants)s, %(leaf0)s + i %% %(leaves)s, '商品' || i,
                  'Product ' || i, '', '', 'listed', false, '', '', '', now(), now()
           FROM generate_series(0, %(products)s - 1) i""",
        """INSERT INTO catalogue_sku (product_id, code, attributes, price, is_active, position)
           SELECT id, 'B-' || id, '{}', 20 + id %% 400, true, 0 FROM catalogue_product""",
        """INSERT INTO catalogue_stockrecord (sku_id, quantity, updated_at)
           SELECT id, 1000, now() FROM catalogue_sku""",
        """INSERT INTO accounts_user (password, is_superuser, email, name, is_staff, is_active,
               date_joined, language)
           SELECT '!', false, 'bench' || i || '@example.com', 'B' || i, false, true, now(), 'zh-hans'
           FROM generate_series(1, %(senders)s) i""",
        """CREATE TEMP TABLE bench_ids AS
           SELECT (SELECT min(id) FROM catalogue_sku) AS sku0,
                  (SELECT min(id) FROM accounts_user WHERE email LIKE 'bench%%') AS user0""",
        # Popular products more often (i*i), 70 % accepted, the rest declined, expired,
        # cancelled or still live; paid at a spread of moments over the last 28 days.
        # Each gift's payment, as the provider confirmed it (the gifts' constraints ask).
        """INSERT INTO payments_payment (reference, purpose, amount, currency, status, gateway,
               provider_reference, description, created_at, succeeded_at, attempt)
           SELECT 'PB' || i, 'gift', 99, 'CNY', 'succeeded', 'sandbox', 'ch_b' || i, '',
                  now(), now(), 0
           FROM generate_series(1::bigint, %(gifts)s) i""",
        """INSERT INTO gifting_gift (quantity, units_claimed, unit_price, amount, message,
               sender_name, allow_variant_choice, status, token_salt, token_hash, language,
               created_at, paid_at, expires_at, finished_at, refunded_amount, sender_id,
               sku_id, payment_id)
           SELECT 1, CASE WHEN i %% 20 < 14 THEN 1 ELSE 0 END, 99, 99, '', 'B', false,
                  CASE WHEN i %% 20 < 14 THEN 'accepted' WHEN i %% 20 < 16 THEN 'declined'
                       WHEN i %% 20 < 18 THEN 'expired' WHEN i %% 20 = 18 THEN 'cancelled'
                       ELSE 'awaiting_recipient' END,
                  md5('s' || i), md5('h' || i) || md5('x' || i), 'en', t, t, t + interval '1 day',
                  CASE WHEN i %% 20 < 19 THEN t + interval '3 hours' END,
                  0, ids.user0 + (i * 7919) %% %(senders)s,
                  ids.sku0 + ((i %% 1000) * (i %% 1000) + i / 1000) %% %(products)s, pay.id
           FROM generate_series(1::bigint, %(gifts)s) i
           JOIN payments_payment pay ON pay.reference = 'PB' || i, bench_ids ids,
                LATERAL (SELECT now() - make_interval(secs => (i * 104729) %% %(seconds)s)) p(t)""",
        """INSERT INTO orders_order (number, status, language, recipient_name, phone, province,
               city, district, street, postcode, total, refunded_amount, created_at, paid_at,
               merchant_id, carrier, commission, tracking_number, payment_id)
           SELECT 'B' || g.id, CASE WHEN g.id %% 33 = 0 THEN 'refunded' ELSE 'paid' END, 'en',
                  '李小红', '13900000000', '浙江省', '杭州市', '西湖区', '文三路 1 号', '', 99,
                  CASE WHEN g.id %% 33 = 0 THEN 99 ELSE 0 END, g.paid_at, g.paid_at,
                  p.merchant_id, '', 5, '', g.payment_id
           FROM gifting_gift g JOIN catalogue_sku s ON s.id = g.sku_id
           JOIN catalogue_product p ON p.id = s.product_id
           WHERE g.status = 'accepted'""",
        """INSERT INTO gifting_giftclaim (recipient_name, phone, province, city, district, street,
               postcode, claimed_at, gift_id, order_id, sku_id, language, sms_consent, thanks)
           SELECT '李小红', '13900000000', '浙江省', '杭州市', '西湖区', '文三路 1 号', '',
                  LEAST(g.paid_at + interval '3 hours', now() - interval '1 second'),
                  g.id, o.id, g.sku_id, 'zh-hans', false, ''
           FROM gifting_gift g JOIN orders_order o ON o.number = 'B' || g.id""",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, params)
    with connection.cursor() as cursor:  # as autovacuum would have, on tables this size
        for table in ("gifting_gift", "gifting_giftclaim", "orders_order", "catalogue_sku"):
            cursor.execute(f"VACUUM ANALYZE {table}")


class Writer(threading.Thread):
    """Gift writes on their own connection, one transaction each, until told to stop."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.latencies: list[float] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
                cursor.execute("SELECT min(id), max(id) FROM gifting_gift")
                first, last = cursor.fetchone()
            sku_id, sender_id = Gift.objects.values_list("sku_id", "sender_id").first()
            while not self.stop.is_set():
                n = next(_serial)
                started = time.perf_counter()
                self._write(n, first + (n * 7877) % (last - first), sku_id, sender_id)
                self.latencies.append(time.perf_counter() - started)
                time.sleep(0.005)
        except BaseException as error:  # reported by the test, not lost in the thread
            self.error = error
        finally:
            connections.close_all()

    @staticmethod
    def _write(n: int, gift_id: int, sku_id: int, sender_id: int) -> None:
        now = timezone.now()
        with transaction.atomic():
            payment = PaymentFactory(amount=99)
            Gift.objects.create(
                payment=payment,
                sku_id=sku_id,
                sender_id=sender_id,
                quantity=1,
                unit_price=99,
                amount=99,
                sender_name="W",
                status=Gift.Status.AWAITING_RECIPIENT,
                token_salt=f"w{n:031d}"[-32:],
                token_hash=f"w{n:063d}"[-64:],
                paid_at=now,
                expires_at=now + timedelta(days=1),
            )
            # A claim's compare-and-set on an existing gift the recompute reads.
            Gift.objects.filter(pk=gift_id).update(message=f"touched {n}")
            with connection.cursor() as cursor:
                cursor.execute(
                    """INSERT INTO orders_order (number, status, language, recipient_name, phone,
                           province, city, district, street, postcode, total, refunded_amount,
                           created_at, paid_at, merchant_id, carrier, commission,
                           tracking_number, payment_id)
                       SELECT 'W' || %s, 'paid', 'en', '李', '13900000000', '浙江省', '杭州市',
                              '西湖区', '路', '', 99, 0, now(), now(), merchant_id, '', 5, '', %s
                       FROM orders_order WHERE id = (SELECT min(id) FROM orders_order)""",
                    [n, payment.pk],
                )


def _writes_during(action) -> tuple[list[float], float]:
    writer = Writer()
    writer.start()
    time.sleep(0.3)
    started = time.perf_counter()
    action()
    seconds = time.perf_counter() - started
    writer.stop.set()
    writer.join(timeout=30)
    assert writer.error is None, writer.error
    return writer.latencies, seconds


def _latency(figures, case: str, latencies: list[float]) -> None:
    figures.add(case, "gift writes", len(latencies))
    figures.add(case, "write p50", round(1000 * statistics.median(latencies), 1), "ms")
    figures.add(case, "write max", round(1000 * max(latencies), 1), "ms")


def test_recompute_over_a_million_gifts_does_not_hold_up_gift_writes(
    transactional_db: None, figures, settings
) -> None:
    settings.PAGE_CACHE_SECONDS = 0  # the pages are measured rendering, not from the cache
    started = time.perf_counter()
    _load(GIFTS)
    figures.add("load", "gifts written", Gift.objects.count())
    figures.add("load", "seconds to write them", round(time.perf_counter() - started, 1), "s")

    idle, _ = _writes_during(lambda: time.sleep(3))
    _latency(figures, "idle database", idle)

    busy: list[float] = []
    for run in range(1, RUNS + 1):
        latencies, seconds = _writes_during(services.charts_recompute)
        busy += latencies
        figures.add("recompute", f"run {run}", round(seconds, 2), "s")
    _latency(figures, "writes during recompute", busy)
    for model in (GiftChartEntry, RisingBrandEntry, ProductGiftStats, AlsoGivenEntry):
        figures.add("recompute", f"{model.__name__} rows", model.objects.count())

    assert selectors.gift_chart(), "the chart is empty"
    assert max(busy) < WRITE_LIMIT, f"a gift write waited {max(busy):.2f} s for the recompute"

    client = Client()
    product = selectors.gift_chart(limit=1)[0].product
    pages = {
        "home": reverse("catalogue:home"),
        "gift chart": reverse("discovery:gift_charts"),
        "gift finder": reverse("discovery:gift_finder") + "?occasion=birthday&budget=100-300",
        "product page": reverse("catalogue:product_detail", args=[product.pk]),
    }
    for name, url in pages.items():
        client.get(url)  # warm
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            ms = 1000 * (time.perf_counter() - started)
        assert response.status_code == 200
        figures.add(f"page: {name}", "SQL statements", len(queries))
        figures.add(f"page: {name}", "response", round(ms, 1), "ms")


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"
