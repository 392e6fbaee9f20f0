from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import translation
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from .fields import parse_id
from .problems import Invalid


def get_or_404(queryset: QuerySet, prefix: str, public_id: str) -> Model:
    """The object with this public id among `queryset` (already scoped to the partner);
    another partner's object and a malformed id are both simply not found."""
    pk = parse_id(prefix, public_id)
    obj = queryset.filter(pk=pk).first() if pk is not None else None
    if obj is None:
        raise NotFound()
    return obj


class PartnerView(GenericAPIView):
    """Every endpoint: scoped to `request.user`, the partner owning the API key.

    The API speaks English whatever the shop's language: it is a contract for programs.
    """

    def dispatch(self, request: HttpRequest, *args: object, **kwargs: object) -> Response:
        with translation.override("en"):
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request: Request, *args: object, **kwargs: object) -> None:
        """After authentication: a query parameter given twice (`?limit=5&limit=500`) is
        422. No parameter of the schema is a list, and silently taking one of the values
        would hide the client's mistake."""
        super().initial(request, *args, **kwargs)
        repeated = sorted(name for name, values in request.query_params.lists() if len(values) > 1)
        if repeated:
            raise Invalid({name: ["Give this parameter once."] for name in repeated})

    def paginated(self, queryset: QuerySet) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
