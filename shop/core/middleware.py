from collections.abc import Callable
from contextlib import ExitStack

from django.db import connections
from django.http import HttpRequest, HttpResponse


class QueryCountMiddleware:
    """`X-Query-Count`: SQL statements the request ran, on every database.

    Switched on by QUERY_COUNT_HEADER for `make bench`, which reports queries per request
    measured on the real server rather than guessed from a test.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = 0

        def counted(execute: Callable, sql: str, params: object, many: bool, context: dict):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with ExitStack() as stack:
            for connection in connections.all():
                stack.enter_context(connection.execute_wrapper(counted))
            response = self.get_response(request)
        response["X-Query-Count"] = str(count)
        return response
