"""Which rows belong to a merchant, declared once, on each model that has them.

A merchant-owned model says how its rows reach their merchant and what the merchant's
staff may do with them in the admin:

    class Sku(models.Model):
        tenancy = MerchantOwned("product__merchant", staff=("view", "add", "change", "delete"))

The admin's scoping (`MerchantScopedAdmin`), the "merchant staff" group's permissions
and the partner API's reads of its merchants' rows all derive from that. A model without
a declaration is a platform model: its admin must be `OperatorOnlyAdmin` (a test walks
the admin site to keep it so).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Model, Q, QuerySet

STAFF_ACTIONS = ("view", "add", "change", "delete")


@dataclass(frozen=True)
class MerchantOwned:
    path: str  # the lookup from a row to its Merchant; "pk" on Merchant itself
    staff: tuple[str, ...] = ()  # of STAFF_ACTIONS: what merchant staff may do in the admin

    def __post_init__(self) -> None:
        unknown = set(self.staff) - set(STAFF_ACTIONS)
        if unknown:
            raise ValueError(f"Unknown staff actions: {sorted(unknown)}")


def tenancy(model: type[Model]) -> MerchantOwned | None:
    """The model's declaration; None for platform models."""
    declared = getattr(model, "tenancy", None)
    return declared if isinstance(declared, MerchantOwned) else None


def merchant_owned_models() -> list[type[Model]]:
    return [model for model in apps.get_models() if tenancy(model) is not None]


def owned_by(model: type[Model], merchant_ids: Iterable[int] | QuerySet) -> Q:
    """The condition for rows of `model` that belong to one of these merchants."""
    declared = tenancy(model)
    if declared is None:
        raise TypeError(f"{model._meta.label} declares no merchant tenancy")
    return Q(**{f"{declared.path}__in": merchant_ids})


def staff_permissions() -> list[tuple[str, str]]:
    """(app label, codename) of every permission the "merchant staff" group holds."""
    return [
        (model._meta.app_label, f"{action}_{model._meta.model_name}")
        for model in merchant_owned_models()
        for action in tenancy(model).staff
    ]
