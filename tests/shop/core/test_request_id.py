import json
import logging
import re

import pytest

from shop.core.request_id import RequestIdFilter
from tests.conftest import wait_until
from tests.factories import UserFactory
from tests.gifts import link, live_gift

pytestmark = pytest.mark.django_db


def test_a_request_gets_an_id_in_the_response(client) -> None:
    response = client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_the_proxys_request_id_is_kept(client) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a9c21e0d4")
    assert response["X-Request-ID"] == "lb-7f3a9c21e0d4"


def test_a_malformed_request_id_is_replaced(client) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID="<script>alert(1)</script>")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_a_failed_request_is_logged_with_its_id(client, caplog, monkeypatch) -> None:
    from django.db import OperationalError

    from shop.catalogue import selectors

    def unreachable(**_: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(selectors, "product_detail", unreachable)
    caplog.handler.addFilter(RequestIdFilter())
    client.get("/products/1/", HTTP_X_REQUEST_ID="failed-0001")
    logged = [r for r in caplog.records if r.name == "django.request"]
    assert [r.request_id for r in logged] == ["failed-0001"]


def test_log_records_outside_a_request_say_so() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    RequestIdFilter().filter(record)
    assert record.request_id == "-"


def test_tasks_published_by_a_request_log_its_id_in_the_worker(
    client, celery_worker, celery_worker_log
) -> None:
    gift = live_gift(client, sender=UserFactory(language="en"))  # so its emails say "refund"
    response = client.post(
        link(gift), {"action": "decline", "confirm": "yes"}, HTTP_X_REQUEST_ID="decline-0001"
    )
    assert response.status_code == 302

    def logged() -> list[dict]:
        lines = celery_worker_log.read_text().splitlines()
        records = [json.loads(line) for line in lines if line.startswith("{")]
        return [r for r in records if r.get("request_id") == "decline-0001"]

    assert wait_until(lambda: any("refund" in r["message"] for r in logged()))
    assert {"time", "level", "logger", "message"} <= set(logged()[0])
