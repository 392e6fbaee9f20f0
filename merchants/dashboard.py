"""The merchant dashboard's figures, computed with a fixed handful of aggregate queries."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gifting import selectors as gifting
from gifting.models import Gift
from shop.catalogue.models import Product
from shop.core import money
from shop.core.models import JobItem
from shop.discovery.selectors import ChartPositions, merchant_chart_positions
from shop.notices.models import Notice
from shop.orders.models import Order, RefundRequest
from shop.partners.models import WebhookDelivery
from shop.payments.models import Refund

from .models import Merchant, MerchantApplication
from .selectors import TO_SHIP

# The order list's filter for the orders the dashboard counts as to ship (`selectors.TO_SHIP`).
TO_SHIP_QUERY = f"?status__in={','.join(TO_SHIP)}&shipped_at__isnull=True"

SOLD = [
    Order.Status.PAID,
    Order.Status.SHIPPED,
    Order.Status.COMPLETED,
    Order.Status.PARTIALLY_REFUNDED,
    Order.Status.REFUNDED,
]


@dataclass(frozen=True)
class Period:
    days: int
    sales: Decimal
    orders: int
    commission: Decimal
    refunds: Decimal
    gifts_sent: int
    gifts_accepted: int
    gifts_expired: int

    @property
    def net(self) -> Decimal:
        return self.sales - self.refunds - self.commission


@dataclass(frozen=True)
class Dashboard:
    merchant: Merchant | None
    to_ship: int
    periods: list[Period]
    daily_sales: list[tuple[date, Decimal]]
    chart_positions: ChartPositions | None


def _orders(merchant: Merchant | None):
    orders = Order.objects.all()
    return orders.filter(merchant=merchant) if merchant else orders


def _gifts(merchant: Merchant | None):
    gifts = Gift.objects.exclude(paid_at__isnull=True)
    return gifts.filter(sku__product__merchant=merchant) if merchant else gifts


def _period(merchant: Merchant | None, days: int) -> Period:
    since = timezone.now() - timedelta(days=days)
    sums = (
        _orders(merchant)
        .filter(status__in=SOLD, paid_at__gte=since)
        .aggregate(
            sales=Sum("total"),
            orders=Count("pk"),
            commission=Sum("commission"),
            refunds=Sum("refunded_amount"),
        )
    )
    gifts = (
        _gifts(merchant)
        .filter(paid_at__gte=since)
        .aggregate(
            sent=Count("pk"),
            accepted=Count("pk", filter=Q(units_claimed__gt=0)),
            expired=Count("pk", filter=gifting.expired(timezone.now())),
        )
    )
    return Period(
        days=days,
        sales=money.total(sums["sales"]),
        orders=sums["orders"],
        commission=money.total(sums["commission"]),
        refunds=money.total(sums["refunds"]),
        gifts_sent=gifts["sent"],
        gifts_accepted=gifts["accepted"],
        gifts_expired=gifts["expired"],
    )


def dashboard(*, merchant: Merchant | None) -> Dashboard:
    """Figures for one merchant, or the whole platform for operators (merchant=None)."""
    since = timezone.localdate() - timedelta(days=29)
    rows = (
        _orders(merchant)
        .filter(status__in=SOLD, paid_at__date__gte=since)
        .annotate(day=TruncDate("paid_at"))
        .values("day")
        .annotate(total=Sum("total"))
    )
    by_day = {row["day"]: row["total"] for row in rows}
    days = [since + timedelta(days=n) for n in range(30)]
    daily = [(day, money.total(by_day.get(day))) for day in days]
    return Dashboard(
        merchant=merchant,
        to_ship=_orders(merchant).filter(status__in=TO_SHIP, shipped_at__isnull=True).count(),
        periods=[_period(merchant, 7), _period(merchant, 30)],
        daily_sales=daily,
        chart_positions=merchant_chart_positions(merchant=merchant) if merchant else None,
    )


def bar_chart_svg(
    series: list[tuple[date, Decimal]], *, width: int = 600, height: int = 160
) -> str:
    """A dependency-free SVG bar chart (no script, so it passes a strict CSP)."""
    top = max((value for _, value in series), default=Decimal("0")) or Decimal("1")
    bar = width / max(len(series), 1)
    bars = []
    for index, (day, value) in enumerate(series):
        h = float(value / top) * (height - 20)
        x, y = index * bar + 1, height - 16 - h
        bars.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" fill="#d4380d">'
            f"<title>{day:%m-%d}: {money.format_cny(value)}</title></rect>"
        )
        if index % 5 == 0:
            bars.append(
                f'<text x="{x:.1f}" y="{height - 2}" font-size="10" fill="#656d76">{day:%m-%d}</text>'
            )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="sales per day">{"".join(bars)}</svg>'
    )


@dataclass(frozen=True)
class Queue:
    """One thing waiting for operators: how many, and the admin list that holds them."""

    title: str
    count: int
    url: str


def platform_queues() -> list[Queue]:
    """What operators have to act on, one count query each (constant in the data's size)."""
    waiting = [
        (_("Shop applications waiting"), MerchantApplication, MerchantApplication.Status.SUBMITTED),
        (_("Products in review"), Product, Product.Status.PENDING_REVIEW),
        (_("Refund requests waiting for a shop"), RefundRequest, RefundRequest.Status.REQUESTED),
        (_("Refunds pending at the provider"), Refund, Refund.Status.PENDING),
        (_("Jobs parked (need attention)"), JobItem, JobItem.Status.PARKED),
        (_("Notices parked (need attention)"), Notice, Notice.Status.PARKED),
        (_("Webhook deliveries that gave up"), WebhookDelivery, WebhookDelivery.Status.FAILED),
    ]
    return [
        Queue(
            title=str(title),
            count=model.objects.filter(status=status).count(),
            url=reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            + f"?status__exact={status}",
        )
        for title, model, status in waiting
    ]
