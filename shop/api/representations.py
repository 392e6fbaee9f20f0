"""How each resource looks to partners: in API responses and in webhook events alike.

One serializer per resource, so a webhook's `data` is exactly what `GET` returns.

A recipient's name, phone and address appear in one place only: `OrderDetailSerializer`, for
`GET /api/v1/orders/{id}/`, which only a partner managing the order's merchant can read (it
ships the parcel), and each read is logged. Gifts, order lists and every webhook never
carry them, so a partner that only sent a gift never sees who received it.
"""

import copy

from rest_framework import serializers

from gifting.chipin.selectors import contributor_names, share_url
from gifting.models import ChipIn, Gift
from gifting.selectors import claim_url, with_public_status
from merchants.models import MerchantApplication
from shop.catalogue.models import Category, Product, Sku
from shop.orders.models import ChangeRequest, Order
from shop.partners.models import BalanceEntry, WebhookDelivery, WebhookEndpoint

from .fields import MoneyField, PublicIdField


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer, deriving its fields from the model once per class.

    DRF builds every field again from the model's metadata for each instance: for a
    partner's gift creation that was about a tenth of the request. Nothing here depends on
    the instance or the context, so each instance gets a copy of the fields built once
    (the same copy DRF makes of declared fields).
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        built = type(self).__dict__.get("_fields_built")
        if built is None:
            built = super().get_fields()
            type(self)._fields_built = built
        return copy.deepcopy(built)


class CategorySerializer(ModelSerializer):
    id = PublicIdField("cat", source="pk", read_only=True)
    parent = PublicIdField("cat", source="parent_id", read_only=True, allow_null=True)

    class Meta:
        model = Category
        fields = ["id", "name", "name_en", "slug", "parent", "giftable"]


class SkuSerializer(ModelSerializer):
    id = PublicIdField("sku", source="pk", read_only=True)
    price = MoneyField(read_only=True)
    stock = serializers.SerializerMethodField()

    class Meta:
        model = Sku
        fields = ["id", "code", "attributes", "price", "stock", "is_active"]

    def get_stock(self, sku: Sku) -> int:
        stock = getattr(sku, "stock", None)
        return stock.quantity if stock else 0


class ProductSerializer(ModelSerializer):
    id = PublicIdField("prod", source="pk", read_only=True)
    merchant = PublicIdField("mer", source="merchant_id", read_only=True)
    merchant_name = serializers.CharField(source="merchant.name", read_only=True)
    category = PublicIdField("cat", source="category_id", read_only=True)
    giftable = serializers.SerializerMethodField()
    skus = SkuSerializer(many=True, read_only=True)
    created = serializers.DateTimeField(source="created_at", read_only=True)
    updated = serializers.DateTimeField(source="updated_at", read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "merchant",
            "merchant_name",
            "category",
            "title",
            "title_en",
            "description",
            "description_en",
            "status",
            "review_note",
            "giftable",
            "skus",
            "created",
            "updated",
        ]

    def get_giftable(self, product: Product) -> bool:
        category = product.category
        return category.giftable and (category.parent is None or category.parent.giftable)


class OrderLineSerializer(serializers.Serializer):
    sku = PublicIdField("sku", source="sku_id", read_only=True)
    product_title = serializers.CharField()
    sku_label = serializers.CharField()
    unit_price = MoneyField()
    quantity = serializers.IntegerField()


class OrderSerializer(ModelSerializer):
    id = PublicIdField("ord", source="pk", read_only=True)
    merchant = PublicIdField("mer", source="merchant_id", read_only=True)
    total = MoneyField()
    refunded_amount = MoneyField()
    lines = OrderLineSerializer(many=True)
    created = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "merchant",
            "status",
            "total",
            "refunded_amount",
            "lines",
            "carrier",
            "tracking_number",
            "created",
            "paid_at",
            "shipped_at",
            "delivered_at",
        ]


class ShippingAddressSerializer(serializers.Serializer):
    """Where the parcel goes: the recipient's name, mobile number and address."""

    recipient_name = serializers.CharField()
    phone = serializers.CharField()
    province = serializers.CharField()
    city = serializers.CharField()
    district = serializers.CharField()
    street = serializers.CharField()
    postcode = serializers.CharField()


class OrderDetailSerializer(OrderSerializer):
    """An order with its shipping address (the recipient's name, phone and address).

    Only for partners managing the order's merchant, who need it to ship; each read is
    logged (the operators' *Address views*). Order lists and webhooks leave it out.
    """

    shipping_address = ShippingAddressSerializer(source="*")

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "shipping_address"]


class ChangeRequestSerializer(ModelSerializer):
    """A gift recipient's change before shipping, without any address: lists and webhooks.

    A partner managing the merchant reads the asked-for address on the request alone
    (`GET /api/v1/change-requests/{id}/`, logged) or, once approved, on the order."""

    id = PublicIdField("chg", source="pk", read_only=True)
    order = PublicIdField("ord", source="order_id", read_only=True)
    old_sku = PublicIdField("sku", source="old_sku_id", read_only=True, allow_null=True)
    new_sku = PublicIdField("sku", source="new_sku_id", read_only=True, allow_null=True)
    refund_amount = MoneyField()
    created = serializers.DateTimeField(source="created_at")

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "order",
            "kind",
            "status",
            "old_sku",
            "new_sku",
            "refund_amount",
            "created",
            "due_at",
            "decided_at",
            "by_timeout",
            "decision_note",
        ]


class ChangeRequestDetailSerializer(ChangeRequestSerializer):
    """With `new_address` (an address change only): where the recipient wants the parcel."""

    new_address = ShippingAddressSerializer(allow_null=True)

    class Meta(ChangeRequestSerializer.Meta):
        fields = [*ChangeRequestSerializer.Meta.fields, "new_address"]


class GiftSerializer(ModelSerializer):
    id = PublicIdField("gift", source="pk", read_only=True)
    status = serializers.CharField(source="public_status")
    sku = PublicIdField("sku", source="sku_id", read_only=True)
    product_title = serializers.CharField(source="sku.product.title")
    units = serializers.IntegerField(source="quantity")
    unit_price = MoneyField()
    amount = MoneyField()
    refunded_amount = MoneyField()
    claim_url = serializers.SerializerMethodField()
    created = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Gift
        fields = [
            "id",
            "status",
            "sku",
            "product_title",
            "units",
            "units_claimed",
            "unit_price",
            "amount",
            "refunded_amount",
            "message",
            "sender_name",
            "allow_variant_choice",
            "claim_url",
            "created",
            "expires_at",
        ]

    def get_claim_url(self, gift: Gift) -> str | None:
        """Only while the link works: not once the deadline passed, swept or not."""
        return claim_url(gift) if gift.public_status == Gift.Status.AWAITING_RECIPIENT else None


class ChipInSerializer(serializers.Serializer):
    """A chip-in as its partner follows it: the totals, never one person's amount."""

    gift = serializers.SerializerMethodField()
    status = serializers.CharField()
    target = MoneyField()
    funded = MoneyField(source="paid")
    contributors = serializers.SerializerMethodField()
    share_url = serializers.SerializerMethodField()
    deadline = serializers.DateTimeField()

    def get_gift(self, chip_in: ChipIn) -> dict:
        gift = with_public_status(
            Gift.objects.filter(pk=chip_in.gift_id).select_related("sku__product")
        ).get()
        return dict(GiftSerializer(gift).data)

    def get_contributors(self, chip_in: ChipIn) -> int:
        """People whose share arrived."""
        return len(contributor_names(chip_in))

    def get_share_url(self, chip_in: ChipIn) -> str | None:
        """Only while shares can be taken."""
        return share_url(chip_in) if chip_in.status == ChipIn.Status.OPEN else None


class GiftEventSerializer(serializers.Serializer):
    type = serializers.CharField(source="kind")
    note = serializers.CharField()
    at = serializers.DateTimeField(source="created_at")


class ShipmentSerializer(serializers.Serializer):
    """One claimed unit's parcel, without who or where it goes."""

    status = serializers.CharField(source="order.status")
    carrier = serializers.CharField(source="order.carrier")
    tracking_number = serializers.CharField(source="order.tracking_number")
    shipped_at = serializers.DateTimeField(source="order.shipped_at")
    delivered_at = serializers.DateTimeField(source="order.delivered_at")


class GiftDetailSerializer(GiftSerializer):
    """A gift with its timeline and parcels, never its recipients' names, phones or
    addresses: the sender does not learn them. A partner managing the merchant reads the
    address on the order (`GET /api/v1/orders/{id}/`), to ship."""

    timeline = GiftEventSerializer(source="events", many=True)
    shipments = ShipmentSerializer(source="claims", many=True)

    class Meta(GiftSerializer.Meta):
        fields = [*GiftSerializer.Meta.fields, "timeline", "shipments"]


class BalanceEntrySerializer(ModelSerializer):
    id = PublicIdField("bal", source="pk", read_only=True)
    amount = MoneyField()
    balance_after = MoneyField()
    created = serializers.DateTimeField(source="created_at")

    class Meta:
        model = BalanceEntry
        fields = ["id", "kind", "amount", "balance_after", "reference", "note", "created"]


class ApplicationSerializer(ModelSerializer):
    id = PublicIdField("app", source="pk", read_only=True)
    categories = serializers.SerializerMethodField()
    merchant = PublicIdField("mer", source="merchant_id", read_only=True, allow_null=True)
    created = serializers.DateTimeField(source="created_at")

    class Meta:
        model = MerchantApplication
        fields = [
            "id",
            "status",
            "legal_name",
            "shop_name",
            "uscc",
            "contact_name",
            "contact_phone",
            "email",
            "categories",
            "rejection_reason",
            "merchant",
            "created",
            "reviewed_at",
        ]

    def get_categories(self, application: MerchantApplication) -> list[str]:
        return [f"cat_{c.pk}" for c in application.categories.all()]


class WebhookEndpointSerializer(ModelSerializer):
    id = PublicIdField("whe", source="pk", read_only=True)
    created = serializers.DateTimeField(source="created_at")

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "created"]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    """Only the creation response carries the signing secret."""

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(ModelSerializer):
    id = PublicIdField("whd", source="pk", read_only=True)
    event = serializers.CharField(source="event.public_id")
    type = serializers.CharField(source="event.type")
    created = serializers.DateTimeField(source="created_at")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "type",
            "status",
            "attempts",
            "response_status",
            "response_body",
            "error",
            "next_attempt_at",
            "delivered_at",
            "created",
        ]
