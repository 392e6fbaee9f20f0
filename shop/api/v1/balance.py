from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from shop.partners import selectors

from ..base import PartnerView
from ..fields import MoneyField
from ..pagination import Cursor
from ..representations import BalanceEntrySerializer


class Balance(PartnerView):
    """The prepaid balance and its ledger, newest first (cursor-paginated)."""

    serializer_class = BalanceEntrySerializer

    @extend_schema(
        parameters=Cursor.parameters(),
        responses=inline_serializer(
            "Balance",
            {
                "available": MoneyField(),
                "entries": BalanceEntrySerializer(many=True),
                "next": serializers.URLField(allow_null=True),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        request.user.refresh_from_db(fields=["balance"])
        page = self.paginate_queryset(selectors.balance_entries(request.user))
        return Response(
            {
                "available": MoneyField().to_representation(request.user.balance),
                "entries": self.get_serializer(page, many=True).data,
                "next": self.paginator.get_next_link(),
            }
        )
