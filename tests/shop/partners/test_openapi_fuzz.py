"""The OpenAPI schema, checked against the running API with Schemathesis.

The schema is loaded from the live server (`/api/schema/`) and every operation is called
with generated input, valid and invalid, as a partner with a balance, a managed merchant
with products, an order, a gift, an application and a webhook endpoint: random ids mostly
miss (404), so each operation with path parameters is also fuzzed on the partner's real
objects. Checked: no 5xx on any input; on valid input, documented statuses, content types
and response bodies, and no 422 for a query parameter the schema fully describes (so the
schema's `limit` range is the server's). Bounded: all OPERATIONS, EXAMPLES per operation and
mode, no shrinking.

Failures are collected for all operations first and then reported together, with a curl
command per failing case.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
import requests
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gifting import changes
from shop.catalogue.models import Product
from tests.changes import NEW_ADDRESS, accepted_claim
from tests.factories import CategoryFactory, ProductFactory, SkuFactory, jpeg_bytes
from tests.merchants.world import place_order
from tests.partners import managed_merchant, partner_with_key

EXAMPLES = 10
OPERATIONS = 30

LISTS = {
    "GET /api/v1/categories/",
    "GET /api/v1/products/",
    "GET /api/v1/orders/",
    "GET /api/v1/gifts/",
    "GET /api/v1/merchant-applications/",
    "GET /api/v1/webhook-endpoints/",
    "GET /api/v1/webhook-endpoints/{endpoint_id}/deliveries/",
    "GET /api/v1/charts/gifts/",
    "GET /api/v1/charts/rising-brands/",
}
FAILURES_SHOWN_PER_OPERATION = 3


@dataclass
class Target:
    schema: object
    base_url: str
    headers: dict[str, str]
    known_ids: dict[str, str]


@pytest.fixture
def target(live_server, settings, monkeypatch) -> Iterator[Target]:
    settings.API_RATE_LIMIT = "1000000/min"  # hundreds of requests a minute, one key
    settings.WEBHOOK_ALLOW_INSECURE = True  # no DNS here: hooks.example.com does not resolve
    for module in (
        "shop.webhooks.outbox",
        "shop.notices.services",
        "shop.payments.services",
        "shop.sandbox.provider",
    ):  # nothing queued for a worker: what is checked is the API's answers
        monkeypatch.setattr(f"{module}.publish", lambda task, *args: True)

    partner, key = partner_with_key("Fuzz", balance="5000.00")
    merchant = managed_merchant(partner)
    category = CategoryFactory(parent=CategoryFactory())
    merchant.categories.add(category)
    product = ProductFactory(merchant=merchant, category=category)
    sku = SkuFactory(product=product, price=Decimal("20.00"), stock=1000)
    ProductFactory(merchant=merchant, category=category, status=Product.Status.DRAFT)
    order = place_order(Client(), SkuFactory(product__merchant=merchant, stock=50))
    claim = accepted_claim(Client(), sku=SkuFactory(product__merchant=merchant, stock=50))
    change = changes.address_change_request(claim=claim, address=NEW_ADDRESS)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    gift = api.post(
        "/api/v1/gifts/",
        json.dumps({"sku": f"sku_{sku.pk}", "sender_name": "品牌"}),
        content_type="application/json",
    )
    endpoint = api.post(
        "/api/v1/webhook-endpoints/",
        json.dumps({"url": "https://hooks.example.com/in", "events": ["gift.accepted"]}),
        content_type="application/json",
    )
    application = api.post(
        "/api/v1/merchant-applications/",
        {
            "legal_name": "杭州好礼贸易有限公司",
            "shop_name": "好礼小店",
            "uscc": "91350100M000100Y43",
            "contact_name": "王芳",
            "contact_phone": "13800138000",
            "email": "owner@example.com",
            "categories": [f"cat_{category.pk}"],
            "licence": SimpleUploadedFile("licence.jpg", jpeg_bytes(), "image/jpeg"),
        },
    )
    for created in (gift, endpoint, application):
        assert created.status_code == 201, created.content
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    yield Target(
        schema=schema,
        base_url=live_server.url,
        headers={"Authorization": f"Bearer {key}"},
        known_ids={
            "gift_id": gift.json()["id"],
            "order_id": f"ord_{order.pk}",
            "product_id": f"prod_{product.pk}",
            "sku_id": f"sku_{sku.pk}",
            "application_id": application.json()["id"],
            "endpoint_id": endpoint.json()["id"],
            "request_id": f"chg_{change.pk}",
        },
    )


def _run(target: Target, session: object, strategy: object, checks: list, found: list) -> None:
    """EXAMPLES cases from `strategy`, each called and checked; failures noted in `found`."""

    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=True,  # the same cases on every run: a failure here is reproducible
    )
    @given(case=strategy)
    def run(case: object) -> None:
        try:
            case.call_and_validate(  # type: ignore[attr-defined]
                base_url=target.base_url, session=session, headers=target.headers, checks=checks
            )
        except (AssertionError, FailureGroup) as error:  # a check failed: note it, go on
            if len(found) < FAILURES_SHOWN_PER_OPERATION:
                curl = case.as_curl_command(  # type: ignore[attr-defined]
                    headers=target.headers, base_url=target.base_url
                )
                found.append(f"{str(error)[:1500]}\n  {curl[:600]}")

    run()


def fuzz(target: Target, checks: list[Callable], plan: dict, only: Callable) -> dict:
    """Call the operations `only` selects (by label) with generated cases, in the modes
    `plan` gives ({mode: fuzz the path's ids too?}); {operation: [failure reports]}."""
    failures: dict[str, list[str]] = {}
    session = requests.Session()
    operations = [result.ok() for result in target.schema.get_all_operations()]
    assert len(operations) == OPERATIONS  # the whole API, not a schema that failed to load
    selected = [operation for operation in operations if only(operation.label)]
    assert selected
    try:
        for operation in selected:
            found = failures.setdefault(operation.label, [])
            for mode, random_ids in plan.items():
                names = [p.name for p in operation.path_parameters]
                known = {name: target.known_ids[name] for name in names}
                strategy = operation.as_strategy(
                    generation_mode=mode, path_parameters=None if random_ids else known
                )
                _run(target, session, strategy, checks, found)
    finally:
        session.close()  # keep-alive connections hold live-server threads and their DB links
    return {label: found for label, found in failures.items() if found}


def _report(failures: dict) -> str:
    return "\n\n".join(
        f"== {label}\n" + "\n--\n".join(found) for label, found in sorted(failures.items())
    )


def _decided_by_the_schema(schema: dict) -> bool:
    """Whether the schema alone says which values are valid (no ids, no free text)."""
    return "enum" in schema or schema.get("type") in {"integer", "boolean"}


def valid_query_parameters_are_accepted(ctx: object, response: object, case: object) -> None:
    """A 422 to valid input may not name a query parameter whose schema alone decides its
    validity (`limit`'s range, a boolean, an enum): there the schema and the server must
    agree. (An id or a search term can be well formed and still name nothing.)"""
    if response.status_code != 422 or not case.meta.generation.mode.is_positive:
        return
    decided = {
        parameter.name
        for parameter in case.operation.query
        if _decided_by_the_schema(parameter.definition.get("schema", {}))
    }
    refused = decided & set(response.json().get("errors", {}))
    assert not refused, f"valid {sorted(refused)} refused: {response.text[:300]}"


# Valid input on the partner's real objects; invalid input everywhere, ids included.
SERVER_ERROR_PLAN = {GenerationMode.POSITIVE: False, GenerationMode.NEGATIVE: True}
CONFORMANCE_PLAN = {GenerationMode.POSITIVE: False}
CONFORMANCE_CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    valid_query_parameters_are_accepted,
]


def test_no_operation_answers_a_server_error_on_generated_input(target: Target) -> None:
    failures = fuzz(target, [not_a_server_error], SERVER_ERROR_PLAN, lambda label: True)
    assert not failures, _report(failures)


def test_every_response_to_valid_input_conforms_to_the_schema(target: Target) -> None:
    failures = fuzz(
        target,
        CONFORMANCE_CHECKS,
        CONFORMANCE_PLAN,
        lambda label: label not in LISTS,
    )
    assert not failures, _report(failures)


def test_every_list_response_conforms_to_the_schema(target: Target) -> None:
    failures = fuzz(target, CONFORMANCE_CHECKS, CONFORMANCE_PLAN, LISTS.__contains__)
    assert not failures, _report(failures)
