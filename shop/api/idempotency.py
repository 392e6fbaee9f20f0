"""`Idempotency-Key` on POST: the first response is stored and replayed for repeats.

The record is inserted first, in the transaction that does the work. A concurrent request
with the same key blocks on the unique index until the first commits, then finds the
record and replays it; so 20 identical requests at once do the work once. If the work
fails (an error response), its transaction rolls back with the record, and a retry runs
afresh, as Stripe does for requests that did not complete.
"""

import functools
import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from rest_framework.request import Request
from rest_framework.response import Response

from shop.partners.models import IdempotencyRecord

from .problems import IdempotencyKeyReused, Invalid

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _fingerprint(request: Request) -> str:
    """What makes two requests the same: method, path and body (uploads by content)."""
    if hasattr(request.data, "lists"):
        body = sorted((key, [str(v) for v in values]) for key, values in request.data.lists())
    else:
        body = request.data
    files = sorted(
        (name, hashlib.sha256(b"".join(f.chunks())).hexdigest())
        for name, f in getattr(request, "FILES", {}).items()
    )
    canonical = json.dumps([request.method, request.path, body, files], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent(view_method: Callable) -> Callable:
    @functools.wraps(view_method)
    def wrapper(view: object, request: Request, *args: object, **kwargs: object) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(view, request, *args, **kwargs)
        if not key or len(key) > MAX_KEY_LENGTH:
            raise Invalid({HEADER: [f"Use 1 to {MAX_KEY_LENGTH} characters."]})
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        partner=request.user, key=key, request_hash=fingerprint, status_code=0
                    )
            except IntegrityError:
                first = IdempotencyRecord.objects.get(partner=request.user, key=key)
                if first.request_hash != fingerprint:
                    raise IdempotencyKeyReused() from None
                return Response(
                    first.body,
                    status=first.status_code,
                    headers={**first.headers, "Idempotent-Replayed": "true"},
                )
            response = view_method(view, request, *args, **kwargs)
            record.status_code = response.status_code
            record.body = response.data
            record.headers = {k: v for k, v in response.items() if k == "Location"}
            record.save(update_fields=["status_code", "body", "headers"])
        return response

    return wrapper
