"""Reads for merchants, and the one place that decides whose data a user may see."""

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from .models import AddressAccessLog, Merchant, MerchantStaff
from .tenancy import owned_by


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
