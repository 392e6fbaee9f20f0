"""Gift recipients' changes before shipping, on the orders of the merchants a partner
manages: read them, approve or reject them (unanswered, the shop's clock decides)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from gifting import changes
from merchants.models import AddressAccessLog
from shop.orders.models import ChangeRequest
from shop.partners import selectors

from ..base import PartnerView, get_or_404
from ..idempotency import idempotent
from ..problems import Invalid
from ..representations import ChangeRequestDetailSerializer, ChangeRequestSerializer


class ChangeRequestList(PartnerView):
    serializer_class = ChangeRequestSerializer

    @extend_schema(
        operation_id="change_requests_list",
        description="Changes asked for on your merchants' orders, newest first, without addresses.",
        responses=ChangeRequestSerializer(many=True),
        parameters=[OpenApiParameter("status", str, enum=[s.value for s in ChangeRequest.Status])],
    )
    def get(self, request: Request) -> Response:
        found = selectors.change_requests(request.user)
        wanted = request.query_params.get("status")
        if wanted is not None:
            if wanted not in ChangeRequest.Status.values:
                raise Invalid({"status": [f"One of: {', '.join(ChangeRequest.Status.values)}."]})
            found = found.filter(status=wanted)
        return self.paginated(found)


class ChangeRequestDetail(PartnerView):
    serializer_class = ChangeRequestDetailSerializer

    @extend_schema(
        description=(
            "One change, with `new_address` for an address change: where the recipient "
            "wants the parcel. Each read of an address change is logged for the platform's "
            "operators, as an order's address is."
        )
    )
    def get(self, request: Request, request_id: str) -> Response:
        change = get_or_404(selectors.change_requests(request.user), "chg", request_id)
        if change.kind == ChangeRequest.Kind.ADDRESS:
            AddressAccessLog.objects.create(partner=request.user, order=change.order)
        return Response(self.get_serializer(change).data)


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class _Decide(PartnerView):
    serializer_class = ChangeRequestSerializer
    decide = staticmethod(changes.change_approve)

    @extend_schema(request=DecisionSerializer, responses={200: ChangeRequestSerializer})
    @idempotent
    def post(self, request: Request, request_id: str) -> Response:
        change = get_or_404(selectors.change_requests(request.user), "chg", request_id)
        decision = DecisionSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        self.decide(request=change, note=decision.validated_data["note"])
        change = selectors.change_requests(request.user).get(pk=change.pk)
        return Response(self.get_serializer(change).data)


class ChangeRequestApprove(_Decide):
    """Approve: the variant or address is changed (a cheaper variant refunds the sender)."""

    decide = staticmethod(changes.change_approve)


class ChangeRequestReject(_Decide):
    """Reject: the order ships as it was."""

    decide = staticmethod(changes.change_reject)
