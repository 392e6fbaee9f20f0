"""Writes for gift discovery: recompute every chart into a new snapshot, set-based.

What counts (the same everywhere, so the charts agree with one another):

- *Accepted* units are gift claims (one per recipient and unit). A claim whose order was
  refunded in full does not count: the recipient did not end up with the gift. A partly
  refunded order still does (the parcel was kept). Declined gifts have no claims, and
  expired or cancelled ones count only the units claimed before they closed.
- *Sent* units are the units of paid gifts (`paid_at` set). For acceptance rates only
  gifts no longer waiting for a recipient count, and their accepted units are the gift's
  own `units_claimed` (one per claim, written in the same transaction) less the claims
  whose order was refunded: one pass over the gifts, not a join of every claim.
- Windows end at the run's `computed_at`: the gift chart and "this week" are the last
  7 days, "last week" the 7 before, acceptance rates the last 30 days, "also gave" 90.

The recompute is four `INSERT … SELECT` statements and one delete, in one transaction:
the rows of the new run appear together and the old runs vanish at the same commit.
Gifts, claims and orders are only read, with plain MVCC reads that take no row locks, so
gift writes running meanwhile never wait for it.
"""

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_noop

from gifting.models import Gift, GiftClaim
from merchants.models import Merchant
from shop.catalogue.models import Category, Product, Sku
from shop.core import jobs, page_cache
from shop.orders.models import Order

from .models import AlsoGivenEntry, ChartRun, GiftChartEntry, ProductGiftStats, RisingBrandEntry

CHART_KEEP = 50
"""Products kept per chart (overall and each category)."""
ALSO_GIVEN_KEEP = 12
"""Products kept per product for "people who gave this also gave"."""
ALSO_GIVEN_MIN_SENDERS = 2
"""Senders two products must share: one person's two gifts are no pattern."""
RECENT_HALF_WEIGHT = 10
"""Units accepted in 7 days at which recent volume gives half its boost to the finder score."""

WEEK = timedelta(days=7)
RATE_WINDOW = timedelta(days=30)
ALSO_GIVEN_WINDOW = timedelta(days=90)


def _tables() -> dict[str, str]:
    models: dict[str, type[Model]] = {
        "claim": GiftClaim,
        "gift": Gift,
        "order": Order,
        "sku": Sku,
        "product": Product,
        "category": Category,
        "merchant": Merchant,
        "chart": GiftChartEntry,
        "rising": RisingBrandEntry,
        "stats": ProductGiftStats,
        "also": AlsoGivenEntry,
    }
    return {key: connection.ops.quote_name(m._meta.db_table) for key, m in models.items()}


# Accepted units, per claim, of products a shopper can see. `{since}` names the lower bound.
_ACCEPTED_CLAIMS = """
    FROM {claim} c
    JOIN {sku} s ON s.id = c.sku_id
    JOIN {product} p ON p.id = s.product_id
    JOIN {merchant} m ON m.id = p.merchant_id
    WHERE c.claimed_at >= %({since})s AND c.claimed_at < %(now)s
      AND p.status = %(listed)s AND m.status = %(active)s
      AND NOT EXISTS (
          SELECT 1 FROM {order} o WHERE o.id = c.order_id AND o.status = %(refunded)s
      )
"""

GIFT_CHART_SQL = (
    """
WITH accepted AS (
    SELECT p.id AS product_id, p.category_id AS category_id, COUNT(*) AS units
    """
    + _ACCEPTED_CLAIMS.replace("{since}", "week_ago")
    + """
    GROUP BY p.id, p.category_id
), scoped AS (
    SELECT CAST(NULL AS BIGINT) AS category_id, product_id, units FROM accepted
    UNION ALL
    SELECT category_id, product_id, units FROM accepted
    UNION ALL
    SELECT cat.parent_id, a.product_id, a.units
    FROM accepted a JOIN {category} cat ON cat.id = a.category_id
    WHERE cat.parent_id IS NOT NULL
), ranked AS (
    SELECT category_id, product_id, units,
           RANK() OVER (PARTITION BY category_id ORDER BY units DESC) AS rnk,
           ROW_NUMBER() OVER (PARTITION BY category_id ORDER BY units DESC, product_id) AS pos
    FROM scoped
)
INSERT INTO {chart} (run_id, category_id, product_id, rank, accepted_units)
SELECT %(run)s, category_id, product_id, rnk, units FROM ranked WHERE pos <= %(chart_keep)s
"""
)

RISING_BRANDS_SQL = (
    """
WITH weekly AS (
    SELECT p.merchant_id AS merchant_id,
           SUM(CASE WHEN c.claimed_at >= %(week_ago)s THEN 1 ELSE 0 END) AS this_week,
           SUM(CASE WHEN c.claimed_at < %(week_ago)s THEN 1 ELSE 0 END) AS last_week
    """
    + _ACCEPTED_CLAIMS.replace("{since}", "two_weeks_ago")
    + """
    GROUP BY p.merchant_id
), grown AS (
    SELECT merchant_id, this_week, last_week,
           (this_week - last_week) * 1.0
           / (CASE WHEN last_week > %(min_volume)s THEN last_week ELSE %(min_volume)s END)
           AS growth
    FROM weekly
    WHERE this_week >= %(min_volume)s AND this_week > last_week
)
INSERT INTO {rising} (run_id, merchant_id, rank, this_week, last_week, growth)
SELECT %(run)s, merchant_id, RANK() OVER (ORDER BY growth DESC, this_week DESC),
       this_week, last_week, growth
FROM grown
"""
)

PRODUCT_STATS_SQL = (
    """
WITH decided AS (
    SELECT s.product_id AS product_id,
           SUM(g.quantity) AS sent_units, SUM(g.units_claimed) AS claimed_units
    FROM {gift} g JOIN {sku} s ON s.id = g.sku_id
    WHERE g.paid_at >= %(month_ago)s AND g.paid_at < %(now)s AND g.status <> %(live)s
    GROUP BY s.product_id
), refunded AS (
    SELECT s.product_id AS product_id, COUNT(*) AS units
    FROM {order} o
    JOIN {claim} c ON c.order_id = o.id
    JOIN {gift} g ON g.id = c.gift_id
    JOIN {sku} s ON s.id = g.sku_id
    WHERE o.status = %(refunded)s
      AND g.paid_at >= %(month_ago)s AND g.paid_at < %(now)s AND g.status <> %(live)s
    GROUP BY s.product_id
), recent AS (
    SELECT p.id AS product_id, COUNT(*) AS units
    """
    + _ACCEPTED_CLAIMS.replace("{since}", "week_ago")
    + """
    GROUP BY p.id
), counted AS (
    SELECT ids.product_id AS product_id,
           COALESCE(decided.sent_units, 0) AS sent_units,
           COALESCE(decided.claimed_units, 0) - COALESCE(refunded.units, 0) AS accepted_units,
           COALESCE(recent.units, 0) AS recent_units
    FROM (SELECT product_id FROM decided UNION SELECT product_id FROM recent) ids
    LEFT JOIN decided ON decided.product_id = ids.product_id
    LEFT JOIN refunded ON refunded.product_id = ids.product_id
    LEFT JOIN recent ON recent.product_id = ids.product_id
)
INSERT INTO {stats}
    (run_id, product_id, sent_units, accepted_units, recent_units, acceptance, score)
SELECT %(run)s, product_id, sent_units, accepted_units, recent_units,
       (accepted_units + 1.0) / (sent_units + 2.0),
       (accepted_units + 1.0) / (sent_units + 2.0)
       * (1.0 + recent_units / (recent_units + %(half_weight)s * 1.0))
FROM counted
"""
)

ALSO_GIVEN_SQL = """
WITH given AS (
    SELECT DISTINCT g.sender_id AS sender_id, p.id AS product_id
    FROM {gift} g
    JOIN {sku} s ON s.id = g.sku_id
    JOIN {product} p ON p.id = s.product_id
    WHERE g.paid_at >= %(quarter_ago)s AND g.paid_at < %(now)s
      AND g.sender_id IS NOT NULL AND g.status <> %(declined)s AND p.status = %(listed)s
), shared AS (
    -- Each unordered pair once (half the rows to count), then both directions.
    SELECT a.product_id AS first_id, b.product_id AS second_id, COUNT(*) AS senders
    FROM given a JOIN given b ON b.sender_id = a.sender_id AND b.product_id > a.product_id
    GROUP BY a.product_id, b.product_id
    HAVING COUNT(*) >= %(min_senders)s
), pairs AS (
    SELECT first_id AS product_id, second_id AS other_id, senders FROM shared
    UNION ALL
    SELECT second_id, first_id, senders FROM shared
), ranked AS (
    SELECT product_id, other_id, senders,
           ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY senders DESC, other_id) AS rnk
    FROM pairs
)
INSERT INTO {also} (run_id, product_id, other_id, rank, senders)
SELECT %(run)s, product_id, other_id, rnk, senders FROM ranked WHERE rnk <= %(also_keep)s
"""


RECOMPUTE_JOB = jobs.define("discovery.recompute", gettext_noop("Recompute the gift charts"))


def charts_recompute(*, now: datetime | None = None) -> ChartRun:
    """Compute every chart for the windows ending `now` into a new run; drop older runs."""
    started = time.monotonic()
    now = now or timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    tables = _tables()
    with transaction.atomic():
        run = ChartRun.objects.create(computed_at=now)
        params = {
            "run": run.pk,
            "now": adapt(now),
            "week_ago": adapt(now - WEEK),
            "two_weeks_ago": adapt(now - 2 * WEEK),
            "month_ago": adapt(now - RATE_WINDOW),
            "quarter_ago": adapt(now - ALSO_GIVEN_WINDOW),
            "refunded": Order.Status.REFUNDED,
            "listed": Product.Status.LISTED,
            "active": Merchant.Status.ACTIVE,
            "live": Gift.Status.AWAITING_RECIPIENT,
            "declined": Gift.Status.DECLINED,
            "min_volume": settings.DISCOVERY_RISING_MIN_ACCEPTED,
            "chart_keep": CHART_KEEP,
            "also_keep": ALSO_GIVEN_KEEP,
            "min_senders": ALSO_GIVEN_MIN_SENDERS,
            "half_weight": RECENT_HALF_WEIGHT,
        }
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # A batch job: sort and hash "also gave" pairs in memory; no JIT compiling.
                cursor.execute("SET LOCAL work_mem = '64MB'; SET LOCAL jit = off")
            for sql in (GIFT_CHART_SQL, RISING_BRANDS_SQL, PRODUCT_STATS_SQL, ALSO_GIVEN_SQL):
                cursor.execute(sql.format(**tables), params)
        ChartRun.objects.filter(pk__lt=run.pk).delete()
        run.duration_ms = round((time.monotonic() - started) * 1000)
        run.save(update_fields=["duration_ms"])
        # Cached pages show the charts (the chart page, home, zero-result searches): the
        # new run shows at once, not after the old copies expire.
        transaction.on_commit(page_cache.invalidate_all)
    return run
