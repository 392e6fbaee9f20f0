"""One reusable guard for the Django admin: merchant staff see only their own shop.

`MerchantScopedAdmin` scopes everything the admin reads through `get_queryset` (lists,
search, autocomplete, change views by id, bulk actions, exports), limits foreign-key
choices to the merchant's own rows, and stamps the merchant on new rows. Which models are
merchant-owned, and how they reach their merchant, each model declares (`merchants.tenancy`).
Platform models (ledger, users, categories, applications) have `OperatorOnlyAdmin`, and
the "merchant staff" group holds permissions only on merchant-owned models.
"""

from django.db.models import Model, QuerySet
from django.http import HttpRequest

from shop.core.admin_theme import ThemedModelAdmin

from .models import Merchant
from .selectors import is_operator, merchant_for_user, scope_to_merchant
from .tenancy import tenancy


class MerchantScopedAdmin(ThemedModelAdmin):
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scope_to_merchant(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if tenancy(db_field.related_model) is not None:
            kwargs["queryset"] = scope_to_merchant(
                db_field.related_model._default_manager.all(), request.user
            )
        elif db_field.name == "category" and not is_operator(request.user):
            merchant = merchant_for_user(request.user)
            kwargs["queryset"] = (
                merchant.categories.all() if merchant else db_field.related_model.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_exclude(self, request: HttpRequest, obj: Model | None = None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not is_operator(request.user) and "merchant" in {
            f.name for f in self.model._meta.fields
        }:
            exclude.append("merchant")
        return exclude

    def save_model(self, request: HttpRequest, obj: Model, form, change: bool) -> None:
        if not is_operator(request.user) and hasattr(obj, "merchant_id"):
            merchant = merchant_for_user(request.user)
            assert isinstance(merchant, Merchant)
            obj.merchant = merchant
        super().save_model(request, obj, form, change)


class OperatorOnlyAdmin(ThemedModelAdmin):
    """Platform models: merchant staff never see them, whatever permissions they hold."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_operator(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_operator(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_operator(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_operator(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_operator(request.user) and super().has_delete_permission(request, obj)
