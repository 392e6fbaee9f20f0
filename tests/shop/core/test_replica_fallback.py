"""A replica connection that drops mid-query: the GET is answered again from the primary.

The "replica" here is a second real connection to the test database (a copy of the
default alias), so the router really sends catalogue reads through it and the test cuts
it off with pg_terminate_backend while the page's first catalogue query runs.
"""

from collections.abc import Callable, Iterator

import pytest
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from shop.core.db_router import REPLICA, replica_health
from shop.core.middleware import ReplicaFallbackMiddleware
from tests.factories import SkuFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def replica(settings, monkeypatch) -> Iterator[list[str]]:
    """A replica alias on the test database; yields the SQL it ran before it was cut off."""
    monkeypatch.setitem(settings.DATABASES, REPLICA, dict(settings.DATABASES["default"]))
    monkeypatch.setattr(replica_health, "_down_until", 0.0)
    # Connected here: the test case only lets aliases it knew at its start connect lazily.
    connections[REPLICA].connect()
    ran: list[str] = []
    yield ran
    connections[REPLICA].close()
    del connections[REPLICA]


def _cut_off_at_first_query(ran: list[str]) -> Callable:
    def wrapper(execute: Callable, sql: str, params: object, many: bool, context: dict):
        if not ran:
            pid = context["connection"].connection.info.backend_pid
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        ran.append(sql)
        return execute(sql, params, many, context)

    return wrapper


def test_a_catalogue_get_cut_off_on_the_replica_is_answered_from_the_primary(
    client, replica
) -> None:
    sku = SkuFactory()
    with connections[REPLICA].execute_wrapper(_cut_off_at_first_query(replica)):
        response = client.get(reverse("catalogue:product_detail", args=[sku.product_id]))
    assert replica, "the page never read the replica"
    assert response.status_code == 200
    assert sku.product.title in response.content.decode()


def test_after_a_replica_cut_off_the_next_requests_skip_the_replica(client, replica) -> None:
    sku = SkuFactory()
    url = reverse("catalogue:product_detail", args=[sku.product_id])
    with connections[REPLICA].execute_wrapper(_cut_off_at_first_query(replica)):
        client.get(url)
        ran_before = len(replica)
        assert client.get(url + "?again=1").status_code == 200
    assert replica_health.is_down()
    assert len(replica) == ran_before


def test_a_post_whose_replica_read_failed_is_not_repeated(rf, replica) -> None:
    """A write may have happened: the shopper gets the 503 and decides to retry."""
    calls: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        calls.append(request.method)
        connections[REPLICA].errors_occurred = True
        return HttpResponse(status=503)

    response = ReplicaFallbackMiddleware(view)(rf.post("/cart/add/"))
    assert (calls, response.status_code) == (["POST"], 503)
