"""Reads for merchants, and the one place that decides whose data a user may see."""

from collections.abc import Collection
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.orders import state as order_state
from shop.orders.models import ChangeRequest, Order, OrderLine

from . import slips
from .models import AddressAccessLog, ImportJob, Merchant, MerchantStaff
from .tenancy import owned_by

# Orders with something to pack: paid, and not refunded in full or cancelled.
PRINTABLE = [
    Order.Status.PAID,
    Order.Status.PARTIALLY_REFUNDED,
    Order.Status.SHIPPED,
    Order.Status.COMPLETED,
]


def merchant_for_user(user: object) -> Merchant | None:
    """The merchant a staff user works for; None for shoppers and platform operators."""
    if not getattr(user, "is_authenticated", False):
        return None
    staff = MerchantStaff.objects.select_related("merchant").filter(user=user).first()
    return staff.merchant if staff else None


OPERATORS_GROUP = "platform operators"


def is_operator(user: object) -> bool:
    """Platform operators: superusers and members of the "platform operators" group.

    Said explicitly, never inferred from "staff without a shop": a merchant's colleague
    removed from a shop must lose access, not gain everyone's.
    """
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_staff", False):
        return False
    return bool(user.is_superuser or user.groups.filter(name=OPERATORS_GROUP).exists())


def scope_to_merchant(queryset: QuerySet, user: object) -> QuerySet:
    """`queryset` limited to rows of the user's merchant, as its model's tenancy says.

    Operators see everything; a merchant's staff see their own shop's rows; anyone else
    sees nothing. Every merchant-facing list, form choice and object lookup goes through
    here, so isolation is enforced in one place.
    """
    if is_operator(user):
        return queryset
    merchant = merchant_for_user(user)
    if merchant is None:
        return queryset.none()
    return queryset.filter(owned_by(queryset.model, [merchant.pk]))


def address_views_between(since: date, until: date) -> QuerySet[AddressAccessLog]:
    """Address views from the start of `since` to the end of `until`, in the shop's zone."""
    start = timezone.make_aware(datetime.combine(since, time.min))
    end = timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))
    return AddressAccessLog.objects.filter(viewed_at__gte=start, viewed_at__lt=end)


def orders_to_print(*, user: object, order_ids: Collection[int]) -> list[Order]:
    """The user's own orders with these ids, loaded for a slip or pick list in three queries
    (orders with shop and gift, lines with SKUs) however many there are.

    All or nothing: more than `slips.MAX_ORDERS_PER_PDF`, an id that is not the user's shop's (or
    not an order at all) or an order with nothing to pack refuses the whole request, so a
    foreign order is never silently left out of what the merchant believes they printed.
    """
    wanted = set(order_ids)
    if not wanted:
        raise slips.SlipError(_("Choose at least one order to print."))
    if len(wanted) > slips.MAX_ORDERS_PER_PDF:
        raise slips.SlipError(
            _("At most %(max)d orders fit in one PDF; %(count)d were chosen.")
            % {"max": slips.MAX_ORDERS_PER_PDF, "count": len(wanted)}
        )
    orders = list(
        scope_to_merchant(Order.objects.all(), user)
        .filter(pk__in=wanted)
        .select_related("merchant", "gift_claim__gift")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("sku").order_by("pk"))
        )
        .order_by("created_at", "pk")
    )
    if len(orders) != len(wanted):
        raise slips.SlipError(
            _("Some of the chosen orders are not your shop's; nothing was printed.")
        )
    unpaid = [order.number for order in orders if order.status not in PRINTABLE]
    if unpaid:
        raise slips.SlipError(
            _("These orders have nothing to pack (unpaid, cancelled or refunded): %(numbers)s")
            % {"numbers": ", ".join(unpaid)}
        )
    return orders


def pick_list_print(*, user: object, order_ids: Collection[int]) -> bytes:
    """The PDF pick list of these orders (refused as `orders_to_print` refuses); it shows
    no address, so nothing is logged."""
    return slips.pick_list_pdf(orders_to_print(user=user, order_ids=order_ids))


# Orders waiting for the merchant to ship them (a partial refund still ships): the
# dashboard's count and the Orders to ship page.
TO_SHIP = [Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED]


def orders_to_ship(*, user: object, limit: int = 200) -> list[Order]:
    """The user's shop's paid orders not yet shipped, oldest first (first paid, first
    packed), with their lines, gift claim and the recipients' change requests waiting (as
    `waiting_changes`), in three queries."""
    return list(
        scope_to_merchant(Order.objects.all(), user)
        .filter(status__in=TO_SHIP, shipped_at__isnull=True)
        .select_related("gift_claim")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("pk")),
            Prefetch(
                "change_requests",
                queryset=ChangeRequest.objects.filter(status=order_state.CR.PENDING).order_by(
                    "due_at"
                ),
                to_attr="waiting_changes",
            ),
        )
        .order_by("paid_at", "pk")[:limit]
    )


def import_progress_key(job_id: int) -> str:
    """Where a running apply counts its rows (merchants.imports writes it)."""
    return f"import-apply-progress:{job_id}"


def import_job_done_rows(job: ImportJob) -> int | None:
    """The rows the job's run has been through so far; None while that is not known.

    The check counts on the job. The apply's writes, that count included, stay inside its
    one transaction until it commits, so it counts in the cache, which the web and the
    workers share; None until a worker has started it (or with a per-process cache).
    """
    if job.status == ImportJob.Status.APPLYING:
        return cache.get(import_progress_key(job.pk))
    return job.done_rows
