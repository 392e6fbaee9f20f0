"""OpenAPI: every operation documents its problem+json error responses."""

from .problems import CONTENT_TYPE, PROBLEMS

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {
            "type": "string",
            "description": (
                "For a refusal by the shop's rules: a stable code, listed (with what it "
                "means) at the `type` URI."
            ),
        },
        "errors": {
            "type": "object",
            "description": "For 422: field name → messages.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}

IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": (
        "Repeating a request with the same key replays the first response (for 24 hours); "
        "the same key with a different request is 422."
    ),
}

# Status → when it happens, by method.
ALWAYS = {400, 401, 404, 405, 406, 415, 429}
WRITES = {402, 409, 422}


def add_problem_responses(result: dict, generator: object, request: object, public: bool) -> dict:
    """drf-spectacular postprocessing hook."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    titles: dict[int, str] = {}
    for code, title, _ in PROBLEMS.values():
        titles.setdefault(code, title)
    ref = {CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            codes = ALWAYS | (WRITES if method in ("post", "patch", "delete") else {422})
            if method == "post":
                operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
            for code in sorted(codes):
                operation["responses"].setdefault(
                    str(code), {"description": titles.get(code, "Error"), "content": ref}
                )
    return result
