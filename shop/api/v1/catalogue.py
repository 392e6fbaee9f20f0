"""Catalogue: browse categories and products; a managed merchant's products and SKUs."""

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from shop.catalogue import selectors as catalogue_selectors
from shop.catalogue import services as catalogue
from shop.catalogue.models import Category, Product, Sku
from shop.partners import selectors

from ..base import PartnerView, get_or_404
from ..fields import MoneyField, parse_id
from ..idempotency import idempotent
from ..problems import Invalid
from ..representations import CategorySerializer, ProductSerializer, SkuSerializer


class CategoryList(PartnerView):
    """All categories in one page (a short, two-level tree), in the list shape."""

    serializer_class = CategorySerializer
    pagination_class = None

    @extend_schema(
        responses=inline_serializer(
            "CategoryList",
            {
                "results": CategorySerializer(many=True),
                "next": serializers.URLField(allow_null=True),
            },
        )
    )
    def get(self, request: Request) -> Response:
        categories = Category.objects.order_by("parent_id", "position", "pk")
        return Response({"results": self.get_serializer(categories, many=True).data, "next": None})


def _flag(value: str | None, name: str) -> bool | None:
    if value is None:
        return None
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise Invalid({name: ["Use true or false."]})


def _ref(value: str | None, prefix: str, name: str) -> int | None:
    if value is None:
        return None
    pk = parse_id(prefix, value)
    if pk is None:
        raise Invalid({name: [f"Not a valid {prefix} id."]})
    return pk


class NewSkuSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    attributes = serializers.DictField(child=serializers.CharField(max_length=50), required=False)
    price = MoneyField(max_value=99999999)
    stock = serializers.IntegerField(min_value=0, max_value=10_000_000)


class NewProductSerializer(serializers.Serializer):
    merchant = serializers.CharField()
    category = serializers.CharField()
    title = serializers.CharField(max_length=120)
    title_en = serializers.CharField(max_length=120, required=False, default="")
    description = serializers.CharField(required=False, default="", max_length=20000)
    description_en = serializers.CharField(required=False, default="", max_length=20000)
    skus = NewSkuSerializer(many=True, min_length=1, max_length=100)

    def validate_merchant(self, value: str) -> object:
        partner = self.context["request"].user
        merchant = partner.merchants.filter(pk=parse_id("mer", value)).first()
        if merchant is None:
            raise serializers.ValidationError("Not a merchant this partner manages.")
        return merchant

    def validate(self, data: dict) -> dict:
        merchant = data["merchant"]
        category = merchant.categories.filter(
            pk=parse_id("cat", data["category"]), parent__isnull=False
        ).first()
        if category is None:
            raise Invalid({"category": ["Not a subcategory this merchant may sell in."]})
        data["category"] = category
        codes = [sku["code"] for sku in data["skus"]]
        if len(set(codes)) != len(codes):
            raise Invalid({"skus": ["Each SKU needs its own code."]})
        return data


class FindingSerializer(serializers.Serializer):
    """A banned advertising claim found by the compliance check (the product waits for an
    operator's review)."""

    field = serializers.CharField()
    term = serializers.CharField()


class ProductCreated(ProductSerializer):
    findings = FindingSerializer(many=True, source="compliance_findings")

    class Meta(ProductSerializer.Meta):
        fields = [*ProductSerializer.Meta.fields, "findings"]


class ProductList(PartnerView):
    serializer_class = ProductSerializer

    @extend_schema(
        operation_id="products_list",
        responses=ProductSerializer(many=True),
        parameters=[
            OpenApiParameter("category", str, description="A category id (and its children)."),
            OpenApiParameter("merchant", str),
            OpenApiParameter("q", str, description="Full-text search."),
            OpenApiParameter("giftable", bool),
        ],
    )
    def get(self, request: Request) -> Response:
        products = selectors.products(request.user)
        params = request.query_params
        category = _ref(params.get("category"), "cat", "category")
        if category is not None:
            products = products.filter(category_id__in=_with_children(category))
        merchant = _ref(params.get("merchant"), "mer", "merchant")
        if merchant is not None:
            products = products.filter(merchant_id=merchant)
        giftable = _flag(params.get("giftable"), "giftable")
        if giftable is not None:
            products = products.filter(
                catalogue_selectors.GIFTABLE if giftable else ~catalogue_selectors.GIFTABLE
            )
        query = params.get("q", "").strip()[:100]
        if query:
            products = catalogue_selectors.product_search(products, query)
        return self.paginated(products)

    @extend_schema(request=NewProductSerializer, responses={201: ProductCreated})
    @idempotent
    def post(self, request: Request) -> Response:
        payload = NewProductSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        with transaction.atomic():
            product = catalogue.product_save(
                product=Product(
                    merchant=data["merchant"],
                    category=data["category"],
                    title=data["title"],
                    title_en=data["title_en"],
                    description=data["description"],
                    description_en=data["description_en"],
                )
            )
            for position, sku in enumerate(data["skus"]):
                catalogue.sku_save(
                    sku=Sku(
                        product=product,
                        code=sku["code"],
                        attributes=sku.get("attributes", {}),
                        price=sku["price"],
                        position=position,
                    ),
                    stock=sku["stock"],
                )
            findings = catalogue.product_submit(product=product)
        product = selectors.products(request.user).get(pk=product.pk)
        product.compliance_findings = findings
        body = ProductCreated(product).data
        return Response(body, status=status.HTTP_201_CREATED)


def _with_children(category_id: int) -> list[int]:
    return [
        category_id,
        *Category.objects.filter(parent_id=category_id).values_list("pk", flat=True),
    ]


class ProductDetail(PartnerView):
    serializer_class = ProductSerializer

    def get(self, request: Request, product_id: str) -> Response:
        product = get_or_404(selectors.products(request.user), "prod", product_id)
        return Response(self.get_serializer(product).data)


class SkuChange(serializers.Serializer):
    price = MoneyField(required=False, max_value=99999999)
    stock = serializers.IntegerField(required=False, min_value=0, max_value=10_000_000)


class SkuDetail(PartnerView):
    serializer_class = SkuSerializer

    @extend_schema(request=SkuChange, responses=SkuSerializer)
    def patch(self, request: Request, sku_id: str) -> Response:
        sku = get_or_404(selectors.managed_skus(request.user), "sku", sku_id)
        change = SkuChange(data=request.data)
        change.is_valid(raise_exception=True)
        with transaction.atomic():
            if "price" in change.validated_data:
                sku.price = change.validated_data["price"]
            catalogue.sku_save(sku=sku, stock=change.validated_data.get("stock"))
        sku = selectors.managed_skus(request.user).get(pk=sku.pk)
        return Response(self.get_serializer(sku).data)
