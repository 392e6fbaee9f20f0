"""Gifts a partner sends, paid from its prepaid balance: the campaign endpoints."""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from gifting import services as gifting
from gifting.chipin import services as chipin
from gifting.models import MAX_UNITS, MESSAGE_MAX_LENGTH, ChipIn
from gifting.selectors import PUBLIC_STATUSES, giftable_skus
from shop.catalogue import selectors as catalogue
from shop.catalogue.models import Sku
from shop.partners import selectors, services

from ..base import PartnerView, get_or_404
from ..fields import parse_id
from ..idempotency import idempotent
from ..problems import Invalid
from ..representations import ChipInSerializer, GiftDetailSerializer, GiftSerializer


class NewGiftSerializer(serializers.Serializer):
    sku = serializers.CharField(help_text="A giftable SKU's id.")
    quantity = serializers.IntegerField(
        min_value=1,
        max_value=MAX_UNITS,
        default=1,
        help_text="1, or 2 to 100 for several recipients (one unit each).",
    )
    message = serializers.CharField(
        max_length=MESSAGE_MAX_LENGTH, required=False, default="", allow_blank=True
    )
    sender_name = serializers.CharField(max_length=30)
    allow_variant_choice = serializers.BooleanField(required=False, default=False)

    def validate_sku(self, value: str) -> Sku:
        sku = catalogue.sku_with_product(parse_id("sku", value))
        if sku is None or not giftable_skus(sku.product, [sku]):
            if sku is not None and sku.price > settings.GIFT_MAX_UNIT_PRICE:
                raise serializers.ValidationError(
                    f"Gifts can cost at most {settings.GIFT_MAX_UNIT_PRICE} CNY each."
                )
            raise serializers.ValidationError("Not a SKU that can be sent as a gift.")
        return sku


class GiftList(PartnerView):
    serializer_class = GiftSerializer

    @extend_schema(
        operation_id="gifts_list",
        responses=GiftSerializer(many=True),
        parameters=[OpenApiParameter("status", str, enum=list(PUBLIC_STATUSES))],
    )
    def get(self, request: Request) -> Response:
        gifts = selectors.gifts(request.user)
        wanted = request.query_params.get("status")
        if wanted is not None:
            if wanted not in PUBLIC_STATUSES:
                raise Invalid({"status": [f"One of: {', '.join(PUBLIC_STATUSES)}."]})
            gifts = gifts.filter(public_status=wanted)
        return self.paginated(gifts)

    @extend_schema(
        request=NewGiftSerializer,
        responses={201: GiftSerializer},
        description="Charged to the prepaid balance at once; 402 when it is short.",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        payload = NewGiftSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        gift = services.partner_gift_send(
            partner=request.user,
            sku_id=data["sku"].pk,
            sku=data["sku"],
            quantity=data["quantity"],
            message=data["message"],
            sender_name=data["sender_name"],
            allow_variant_choice=data["allow_variant_choice"],
        )
        return Response(
            self.get_serializer(selectors.gift_sent(gift)).data, status=status.HTTP_201_CREATED
        )


class GiftDetail(PartnerView):
    serializer_class = GiftDetailSerializer

    def get(self, request: Request, gift_id: str) -> Response:
        gift = get_or_404(selectors.gift_detail_queryset(request.user), "gift", gift_id)
        return Response(self.get_serializer(gift).data)


class GiftCancel(PartnerView):
    serializer_class = GiftSerializer

    @extend_schema(request=None, responses={200: GiftSerializer})
    @idempotent
    def post(self, request: Request, gift_id: str) -> Response:
        gift = get_or_404(selectors.gifts(request.user), "gift", gift_id)
        gifting.gift_cancel(gift=gift)
        gift = selectors.gifts(request.user).get(pk=gift.pk)
        return Response(self.get_serializer(gift).data)


# --- Chip-in gifts: a brand's community campaign, paid for by the community -------------


class NewChipInSerializer(serializers.Serializer):
    sku = serializers.CharField(help_text="A giftable SKU's id.")
    message = serializers.CharField(
        max_length=MESSAGE_MAX_LENGTH, required=False, default="", allow_blank=True
    )
    sender_name = serializers.CharField(max_length=30)

    validate_sku = NewGiftSerializer.validate_sku


def _chip_in(request: Request, gift_id: str) -> ChipIn:
    """The partner's chip-in, found by its gift's public id."""
    gift = get_or_404(selectors.gifts(request.user).filter(chip_in__isnull=False), "gift", gift_id)
    return ChipIn.objects.select_related("gift").get(gift=gift)


class ChipInCreate(PartnerView):
    serializer_class = ChipInSerializer

    @extend_schema(
        request=NewChipInSerializer,
        responses={201: ChipInSerializer},
        description=(
            "A one-recipient gift that people pay for together through `share_url` within "
            "the funding window; nothing is charged to the balance. Funded in full: "
            "`gift.funded` and the gift's `claim_url`; not funded in time or cancelled: "
            "`gift.funding_failed`, and every share goes back to its own payment."
        ),
    )
    @idempotent
    def post(self, request: Request) -> Response:
        payload = NewChipInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        chip_in = chipin.chip_in_create(
            organiser=None,
            partner=request.user,
            sku_id=data["sku"].pk,
            message=data["message"],
            sender_name=data["sender_name"],
            language=settings.LANGUAGE_CODE,
        )
        return Response(self.get_serializer(chip_in).data, status=status.HTTP_201_CREATED)


class ChipInDetail(PartnerView):
    serializer_class = ChipInSerializer

    def get(self, request: Request, gift_id: str) -> Response:
        chip_in = _chip_in(request, gift_id)
        return Response(self.get_serializer(chip_in).data)


class ChipInCancel(PartnerView):
    serializer_class = ChipInSerializer

    @extend_schema(request=None, responses={200: ChipInSerializer})
    @idempotent
    def post(self, request: Request, gift_id: str) -> Response:
        chip_in = _chip_in(request, gift_id)
        chipin.chip_in_cancel(chip_in=chip_in)
        return Response(self.get_serializer(chip_in).data)
