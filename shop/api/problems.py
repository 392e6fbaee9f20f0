"""Errors as RFC 9457 problem details (`application/problem+json`), for every API error.

Each kind of problem has a `type` URI that resolves to its description (`/api/problems/…`),
a fixed `title`, and a `detail` for this occurrence; validation problems add `errors`,
field name → messages. Statuses follow the contract: 401 without a valid key, 404 for
what is not the partner's, 409 for a state conflict, 422 for invalid input, 429 with
`Retry-After` when the key's rate is exceeded.

A service's `DomainError` is mapped here, once, by its status; the problem adds the
error's stable `code`, and each type's description lists the codes reported under it.
"""

import inspect
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse
from rest_framework import exceptions, status
from rest_framework.response import Response

from shop.core.errors import DomainError, domain_error_classes

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/problem+json"

# slug → (status, title, what it means)
PROBLEMS: dict[str, tuple[int, str, str]] = {
    "invalid-request": (400, "Malformed request", "The body could not be parsed."),
    "unauthorized": (
        401,
        "Missing or invalid API key",
        "Send `Authorization: Bearer <api key>` with a key that is not revoked.",
    ),
    "insufficient-balance": (
        402,
        "Insufficient balance",
        "The partner's prepaid balance does not cover the charge; top it up and retry.",
    ),
    "forbidden": (403, "Forbidden", "This key may not do this."),
    "not-found": (
        404,
        "Not found",
        "No such object among those this partner may see (its own, or its merchants').",
    ),
    "method-not-allowed": (405, "Method not allowed", "The endpoint does not accept it."),
    "not-acceptable": (406, "Not acceptable", "The API answers in JSON only."),
    "conflict": (
        409,
        "Conflict with the current state",
        "The object's state does not allow this now (e.g. cancelling an accepted gift).",
    ),
    "unsupported-media-type": (415, "Unsupported media type", "Send JSON (or multipart)."),
    "validation": (422, "Invalid input", "Some fields are invalid; see `errors`."),
    "idempotency-key-reused": (
        422,
        "Idempotency-Key reused with a different request",
        "An Idempotency-Key replays its first request's response; this request differs.",
    ),
    "rate-limited": (
        429,
        "Too many requests",
        "The key exceeded its rate limit; retry after `Retry-After` seconds.",
    ),
    "server-error": (500, "Internal server error", "Something failed on our side."),
}

# DomainError.status → the problem type a domain error is reported as.
DOMAIN_TYPES = {
    402: "insufficient-balance",
    409: "conflict",
    422: "validation",
}


def type_uri(slug: str) -> str:
    return settings.SITE_URL + reverse("api-problem", args=[slug])


def problem(
    slug: str, detail: str = "", *, errors: dict | None = None, status_code: int | None = None
) -> dict:
    code, title, _ = PROBLEMS[slug]
    body = {"type": type_uri(slug), "title": title, "status": status_code or code}
    body["detail"] = detail or PROBLEMS[slug][2]
    if errors is not None:
        body["errors"] = errors
    return body


class Invalid(exceptions.APIException):
    """422 with field errors: raised for input that parses but is not acceptable."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY

    def __init__(self, errors: dict, detail: str = "") -> None:
        super().__init__(detail or PROBLEMS["validation"][2])
        self.errors = errors


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = PROBLEMS["idempotency-key-reused"][2]


_SLUGS = [
    (Invalid, "validation"),
    (IdempotencyKeyReused, "idempotency-key-reused"),
    (exceptions.ValidationError, "validation"),
    (exceptions.ParseError, "invalid-request"),
    (exceptions.NotAuthenticated, "unauthorized"),
    (exceptions.AuthenticationFailed, "unauthorized"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not-found"),
    (exceptions.MethodNotAllowed, "method-not-allowed"),
    (exceptions.NotAcceptable, "not-acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported-media-type"),
    (exceptions.Throttled, "rate-limited"),
]


def _field_errors(detail: object) -> dict:
    """DRF's nested error details as `field → [messages]` (nested fields dotted)."""
    if isinstance(detail, list):
        return {"non_field_errors": [str(m) for m in detail]}
    errors: dict = {}
    for field, value in detail.items():
        if isinstance(value, dict):
            for sub, messages in _field_errors(value).items():
                errors[f"{field}.{sub}"] = messages
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for index, item in enumerate(value):
                for sub, messages in _field_errors(item).items():
                    errors[f"{field}[{index}].{sub}"] = messages
        else:
            errors[field] = [str(m) for m in (value if isinstance(value, list) else [value])]
    return errors


def domain_problem(error: DomainError) -> Response:
    """A service's refusal: its status and type; input at fault is named under `errors`."""
    slug = DOMAIN_TYPES[error.status]
    if slug == "validation":
        body = problem(slug, errors={error.field or "non_field_errors": [str(error)]})
    else:
        body = problem(slug, str(error))
    body["code"] = error.code
    return Response(body, status=error.status, content_type=CONTENT_TYPE)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's exception handler, answering every error as problem details."""
    if isinstance(exc, DomainError):
        return domain_problem(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):  # a model's own checks (full_clean)
        errors = exc.message_dict if hasattr(exc, "error_dict") else {}
        exc = Invalid(errors or {"non_field_errors": exc.messages})
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handling (and `server_error` below) takes it
    slug = next((s for cls, s in _SLUGS if isinstance(exc, cls)), "server-error")
    errors = None
    if isinstance(exc, Invalid):
        errors = exc.errors
    elif isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
    detail = "" if slug == "validation" else str(exc.detail)
    code = status.HTTP_422_UNPROCESSABLE_ENTITY if slug == "validation" else exc.status_code
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
    return Response(
        problem(slug, detail, errors=errors, status_code=code),
        status=code,
        headers=headers,
        content_type=CONTENT_TYPE,
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """An unknown URL under /api/ (Django's 404, outside any DRF view)."""
    return JsonResponse(problem("not-found"), status=404, content_type=CONTENT_TYPE)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(problem("server-error"), status=500, content_type=CONTENT_TYPE)


def describe(request: HttpRequest, slug: str) -> JsonResponse:
    """What a problem `type` means, so each type URI resolves to documentation."""
    if slug not in PROBLEMS:
        return not_found(request)
    code, title, description = PROBLEMS[slug]
    body = {"type": type_uri(slug), "title": title, "status": code, "description": description}
    codes = {
        cls.code: _summary(cls)
        for cls in domain_error_classes()
        if DOMAIN_TYPES.get(cls.status) == slug
    }
    if codes:
        body["codes"] = codes
    return JsonResponse(body)


def _summary(cls: type) -> str:
    """The first paragraph of the error's docstring, on one line."""
    return " ".join((inspect.getdoc(cls) or "").split("\n\n")[0].split())
