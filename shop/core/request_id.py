"""A request id on every log line, from the web request into the Celery tasks it publishes.

The id comes from the `X-Request-ID` header a proxy or load balancer set (when it looks
like one), or is made here; it is echoed in the response, so a support ticket, a proxy's
access log and the application's logs can be matched. Tasks carry it in a message header
and set it again while they run.
"""

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
logger = logging.getLogger("shop.tasks")


def current() -> str:
    return _current.get()


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(HEADER, "")
        request_id = given if _VALID.match(given) else uuid.uuid4().hex
        # Cleared when the response is finished (request_finished), not here: Django logs a
        # failed request (django.request) after the middleware has returned.
        _current.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (`-` outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True


def add_to_task_headers(headers: dict | None = None, **_: object) -> None:
    """`before_task_publish`: the publishing request's id travels with the message."""
    if headers is not None and _current.get() != "-":
        headers.setdefault("request_id", _current.get())


def set_for_task(task: object = None, **_: object) -> None:
    """`task_prerun`: the task logs under the id of the request that published it."""
    request = getattr(task, "request", None)
    _current.set(getattr(request, "request_id", None) or f"task-{getattr(request, 'id', '')}")
    logger.info("task %s started", getattr(task, "name", "?"))


def clear(**_: object) -> None:
    """`request_finished`, `task_postrun`: a thread or pool process serves many requests
    and tasks; one's id must not leak into what it logs next."""
    _current.set("-")
