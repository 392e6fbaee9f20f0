from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from merchants.admin_scoping import OperatorOnlyAdmin
from shop.core.admin import ReadOnlyAdmin
from shop.core.privacy import mask_name, mask_phone

from .models import Gift, GiftClaim, GiftEvent


class GiftEventInline(admin.TabularInline):
    model = GiftEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class GiftClaimInline(admin.TabularInline):
    """Who claimed, masked: the full address lives on the fulfilment order."""

    model = GiftClaim
    extra = 0
    can_delete = False
    fields = ["masked_name", "masked_phone", "city", "sku", "order", "claimed_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("name"))
    def masked_name(self, claim: GiftClaim) -> str:
        return mask_name(claim.recipient_name)

    @admin.display(description=_("phone"))
    def masked_phone(self, claim: GiftClaim) -> str:
        return mask_phone(claim.phone)


@admin.register(Gift)
class GiftAdmin(OperatorOnlyAdmin, ReadOnlyAdmin):
    list_display = [
        "pk",
        "sku",
        "sender",
        "quantity",
        "units_claimed",
        "status",
        "amount",
        "expires_at",
    ]
    list_filter = ["status"]
    list_select_related = ["sku__product", "sender"]
    search_fields = ["pk", "sender__email", "payment__reference"]
    date_hierarchy = "created_at"
    exclude = ["token_salt", "token_hash"]
    inlines = [GiftClaimInline, GiftEventInline]
