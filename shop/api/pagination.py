"""Pages of a list, and the `limit` every list takes: read and documented in one place.

`limit` is a whole number from 1 to the list's maximum, given once; anything else is 422, and
the schema says exactly that (minimum, maximum, default), so what it calls valid the server
accepts. A repeated query parameter is refused for every operation (`PartnerView`).
"""

from drf_spectacular.utils import OpenApiParameter
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from .problems import Invalid

LIMIT = "limit"


def parse_limit(request: Request, *, default: int, maximum: int) -> int:
    raw = request.query_params.get(LIMIT)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= maximum:
        raise Invalid({LIMIT: [f"A whole number from 1 to {maximum}."]})
    return int(raw)


def _limit_schema(*, default: int, maximum: int) -> dict:
    return {"type": "integer", "minimum": 1, "maximum": maximum, "default": default}


def _limit_description(*, default: int, maximum: int) -> str:
    return f"How many results: 1 to {maximum} (default {default})."


def limit_parameter(*, default: int, maximum: int) -> OpenApiParameter:
    """`limit` for a view that reads it with `parse_limit` itself (the charts)."""
    return OpenApiParameter(
        LIMIT,
        _limit_schema(default=default, maximum=maximum),
        description=_limit_description(default=default, maximum=maximum),
    )


class Cursor(CursorPagination):
    """`{"results": [...], "next": url or null}`, newest first. Cursors stay valid while
    rows are added, unlike page numbers."""

    ordering = "-pk"
    page_size = 50
    page_size_query_param = LIMIT
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        return parse_limit(request, default=self.page_size, maximum=self.max_page_size)

    def get_schema_operation_parameters(self, view: object) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        size = {"default": self.page_size, "maximum": self.max_page_size}
        for parameter in parameters:
            if parameter["name"] == LIMIT:
                parameter.update(
                    schema=_limit_schema(**size), description=_limit_description(**size)
                )
        return parameters

    @classmethod
    def parameters(cls) -> list[OpenApiParameter]:
        """The page's parameters, for a view whose response is not a plain list (balance)."""
        return [
            OpenApiParameter(
                cls.cursor_query_param, str, description=str(cls.cursor_query_description)
            ),
            limit_parameter(default=cls.page_size, maximum=cls.max_page_size),
        ]

    def get_paginated_response(self, data: list) -> Response:
        return Response({"results": data, "next": self.get_next_link()})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["results", "next"],
            "properties": {
                "results": schema,
                "next": {"type": "string", "format": "uri", "nullable": True},
            },
        }
