import socket

import pytest
from django.db import connections

from shop.core import health

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_when_database_cache_and_broker_answer(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "failed": [],
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
        "parked_job_items": 0,
    }


def test_readyz_is_503_naming_the_database_when_it_is_unreachable(client, monkeypatch) -> None:
    unreachable = connections.create_connection("default")
    unreachable.settings_dict = {**unreachable.settings_dict, "PORT": str(_closed_port())}
    monkeypatch.setattr(health, "connections", {"default": unreachable})
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert response.json()["checks"] == {"database": "failed", "cache": "ok", "broker": "ok"}


def test_probes_over_plain_http_are_not_redirected_to_https(client, settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/products/").status_code == 301


def test_readyz_stays_200_degraded_when_only_the_broker_is_unreachable(client, monkeypatch) -> None:
    def unreachable() -> None:
        raise ConnectionRefusedError("broker down")

    monkeypatch.setitem(health.CHECKS, "broker", unreachable)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["failed"] == ["broker"]
