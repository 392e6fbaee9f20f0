"""Orders of the merchants a partner manages: read them, ship them."""

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from merchants.models import AddressAccessLog
from shop.orders import services as orders
from shop.orders.models import Order
from shop.partners import selectors

from ..base import PartnerView, get_or_404
from ..idempotency import idempotent
from ..problems import Invalid
from ..representations import OrderDetailSerializer, OrderSerializer


class OrderList(PartnerView):
    serializer_class = OrderSerializer

    @extend_schema(
        operation_id="orders_list",
        description=(
            "Orders of the merchants you manage, newest first, without shipping addresses "
            "(read one order for its address)."
        ),
        responses=OrderSerializer(many=True),
        parameters=[OpenApiParameter("status", str, enum=[s.value for s in Order.Status])],
    )
    def get(self, request: Request) -> Response:
        found = selectors.orders(request.user)
        wanted = request.query_params.get("status")
        if wanted is not None:
            if wanted not in Order.Status.values:
                raise Invalid({"status": [f"One of: {', '.join(Order.Status.values)}."]})
            found = found.filter(status=wanted)
        return self.paginated(found)


class OrderDetail(PartnerView):
    serializer_class = OrderDetailSerializer

    @extend_schema(
        description=(
            "An order of a merchant you manage, with its `shipping_address`: the recipient's "
            "name, mobile number and address, which you need to ship it. Each read is logged "
            "for the platform's operators. Only partners managing the order's merchant can "
            "read it (others get 404); a partner that sent a gift never sees its recipient "
            "through the gift."
        )
    )
    def get(self, request: Request, order_id: str) -> Response:
        order = get_or_404(selectors.orders(request.user), "ord", order_id)
        AddressAccessLog.objects.create(partner=request.user, order=order)
        return Response(self.get_serializer(order).data)


class ShipmentSerializer(serializers.Serializer):
    carrier = serializers.CharField(max_length=50)
    tracking_number = serializers.CharField(max_length=50)


class OrderShipments(PartnerView):
    serializer_class = OrderSerializer

    @extend_schema(request=ShipmentSerializer, responses={201: OrderSerializer})
    @idempotent
    def post(self, request: Request, order_id: str) -> Response:
        order = get_or_404(selectors.orders(request.user), "ord", order_id)
        shipment = ShipmentSerializer(data=request.data)
        shipment.is_valid(raise_exception=True)
        with transaction.atomic():
            orders.order_ship(order=order, **shipment.validated_data)
        order = selectors.orders(request.user).get(pk=order.pk)
        return Response(self.get_serializer(order).data, status=status.HTTP_201_CREATED)
