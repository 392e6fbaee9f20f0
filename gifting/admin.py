from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from merchants.admin_scoping import OperatorOnlyAdmin
from shop.core.admin import ReadOnlyAdmin, ReadOnlyInline
from shop.core.privacy import mask_name, mask_phone

from .models import ChipIn, Contribution, Gift, GiftClaim, GiftEvent


class GiftEventInline(ReadOnlyInline):
    model = GiftEvent
    fields = ["created_at", "kind", "note"]


class GiftClaimInline(ReadOnlyInline):
    """Who claimed, masked: the full address lives on the fulfilment order."""

    model = GiftClaim
    fields = ["masked_name", "masked_phone", "city", "sku", "order", "claimed_at"]

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
        "partner",
        "quantity",
        "units_claimed",
        "status",
        "amount",
        "expires_at",
    ]
    list_filter = ["status", "partner"]
    list_select_related = ["sku__product", "sender", "partner"]
    search_fields = ["pk", "sender__email", "partner__name", "payment__reference"]
    date_hierarchy = "created_at"
    exclude = ["token_salt", "token_hash"]
    inlines = [GiftClaimInline, GiftEventInline]


class ContributionInline(ReadOnlyInline):
    model = Contribution
    fields = ["display_name", "amount", "status", "payment", "created_at", "paid_at"]


@admin.register(ChipIn)
class ChipInAdmin(OperatorOnlyAdmin, ReadOnlyAdmin):
    list_display = ["pk", "gift", "organiser", "status", "target", "paid", "deadline"]
    list_filter = ["status"]
    list_select_related = ["gift", "organiser"]
    search_fields = ["pk", "gift__pk", "organiser__email"]
    exclude = ["token_salt", "token_hash"]
    inlines = [ContributionInline]
