"""Reads for merchants, and the one place that decides whose data a user may see."""

from django.db.models import QuerySet

from .models import Merchant, MerchantStaff
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
