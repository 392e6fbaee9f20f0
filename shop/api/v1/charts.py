"""Gift discovery charts, as recomputed by beat (the newest snapshot)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from shop.catalogue.models import Category
from shop.discovery import selectors

from ..base import PartnerView
from ..fields import PublicIdField, parse_id
from ..pagination import limit_parameter, parse_limit
from ..problems import Invalid

MAX_LIMIT = 50  # the recompute keeps the top 50 of each chart
DEFAULT_LIMIT = 10


class GiftChartEntrySerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="Equal counts share a rank (1, 2, 2, 4).")
    product = PublicIdField("prod", source="product_id")
    product_title = serializers.CharField(source="product.title")
    merchant = PublicIdField("mer", source="product.merchant_id")
    merchant_name = serializers.CharField(source="product.merchant.name")
    category = PublicIdField("cat", source="product.category_id")
    accepted_units = serializers.IntegerField(help_text="Gift units accepted in the last 7 days.")
    computed_at = serializers.DateTimeField(source="run.computed_at")


class RisingBrandSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    merchant = PublicIdField("mer", source="merchant_id")
    merchant_name = serializers.CharField(source="merchant.name")
    this_week = serializers.IntegerField(help_text="Gift units accepted in the last 7 days.")
    last_week = serializers.IntegerField(help_text="… and in the 7 days before.")
    growth = serializers.SerializerMethodField(
        help_text="(this week − last week) ÷ max(last week, the minimum volume)."
    )
    computed_at = serializers.DateTimeField(source="run.computed_at")

    def get_growth(self, entry: object) -> float:
        return round(entry.growth, 4)


def _limit(request: Request) -> int:
    return parse_limit(request, default=DEFAULT_LIMIT, maximum=MAX_LIMIT)


def _page(serializer: type, name: str) -> object:
    return inline_serializer(
        name,
        {
            "results": serializer(many=True),
            "next": serializers.URLField(allow_null=True, help_text="Always null: one page."),
        },
    )


LIMIT = limit_parameter(default=DEFAULT_LIMIT, maximum=MAX_LIMIT)


class GiftChart(PartnerView):
    """送礼榜: the most-gifted products over the last 7 days, overall or in a category."""

    serializer_class = GiftChartEntrySerializer
    pagination_class = None

    @extend_schema(
        parameters=[OpenApiParameter("category", str, description="A category id."), LIMIT],
        responses=_page(GiftChartEntrySerializer, "GiftChart"),
    )
    def get(self, request: Request) -> Response:
        category = None
        if "category" in request.query_params:
            pk = parse_id("cat", request.query_params["category"])
            category = Category.objects.filter(pk=pk).first() if pk is not None else None
            if category is None:
                raise Invalid({"category": ["Not a category id."]})
        entries = selectors.gift_chart(category=category, limit=_limit(request))
        return Response({"results": self.get_serializer(entries, many=True).data, "next": None})


class RisingBrands(PartnerView):
    """品牌飙升榜: shops by growth of accepted gifts this week against last week."""

    serializer_class = RisingBrandSerializer
    pagination_class = None

    @extend_schema(parameters=[LIMIT], responses=_page(RisingBrandSerializer, "RisingBrands"))
    def get(self, request: Request) -> Response:
        entries = selectors.rising_brands(limit=_limit(request))
        return Response({"results": self.get_serializer(entries, many=True).data, "next": None})
