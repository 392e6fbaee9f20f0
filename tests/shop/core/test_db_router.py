import pytest
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from gifting.models import Gift
from shop.catalogue.models import Product, StockRecord
from shop.core.db_router import CatalogueReplicaRouter, read_primary
from shop.core.middleware import ReadYourWritesMiddleware
from shop.orders.models import Order
from shop.payments.models import Payment

WITH_REPLICA = CatalogueReplicaRouter(
    databases={"default": {}, "replica": {}}, replica_reachable=lambda: True
)
REPLICA_DOWN = CatalogueReplicaRouter(
    databases={"default": {}, "replica": {}}, replica_reachable=lambda: False
)
WITHOUT_REPLICA = CatalogueReplicaRouter(databases={"default": {}})


def test_catalogue_reads_go_to_the_replica() -> None:
    assert WITH_REPLICA.db_for_read(Product) == "replica"
    assert WITH_REPLICA.db_for_read(StockRecord) == "replica"


def test_other_reads_stay_on_the_primary() -> None:
    assert WITH_REPLICA.db_for_read(Gift) is None


def test_writes_go_to_the_primary() -> None:
    assert WITH_REPLICA.db_for_write(Product) == "default"


@pytest.mark.django_db
def test_catalogue_reads_inside_a_transaction_stay_on_the_primary() -> None:
    with transaction.atomic():
        assert WITH_REPLICA.db_for_read(StockRecord) == "default"


def test_migrations_never_run_on_the_replica() -> None:
    assert WITH_REPLICA.allow_migrate("replica", "catalogue") is False
    assert WITH_REPLICA.allow_migrate("default", "catalogue") is True


def test_without_a_replica_the_router_leaves_every_choice_to_django() -> None:
    assert WITHOUT_REPLICA.db_for_read(Product) is None
    assert WITHOUT_REPLICA.db_for_write(Product) is None


def test_orders_payments_and_gifts_never_read_the_replica() -> None:
    """A lagging replica can never show a paid order or gift as unpaid: they are not on it."""
    assert {WITH_REPLICA.db_for_read(model) for model in (Order, Payment, Gift)} == {None}


def test_catalogue_reads_go_to_the_primary_while_the_replica_is_unreachable() -> None:
    assert REPLICA_DOWN.db_for_read(Product) == "default"


def test_catalogue_reads_in_read_primary_go_to_the_primary() -> None:
    with read_primary():
        assert WITH_REPLICA.db_for_read(Product) == "default"
    assert WITH_REPLICA.db_for_read(Product) == "replica"


def _through_middleware(request: HttpRequest) -> tuple[str | None, HttpResponse]:
    seen: list[str | None] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(WITH_REPLICA.db_for_read(Product))
        return HttpResponse("ok")

    response = ReadYourWritesMiddleware(view)(request)
    return seen[0], response


def test_a_write_request_sets_the_short_read_primary_cookie(settings) -> None:
    settings.REPLICA_STICKY_SECONDS = 7
    _, response = _through_middleware(RequestFactory().post("/cart/add/"))
    cookie = response.cookies[ReadYourWritesMiddleware.COOKIE]
    assert cookie["max-age"] == 7


def test_an_api_write_with_a_bearer_key_sets_no_read_primary_cookie() -> None:
    request = RequestFactory().post("/api/v1/gifts/", HTTP_AUTHORIZATION="Bearer key")
    _, response = _through_middleware(request)
    assert ReadYourWritesMiddleware.COOKIE not in response.cookies


def test_a_read_request_sets_no_read_primary_cookie() -> None:
    _, response = _through_middleware(RequestFactory().get("/products/"))
    assert ReadYourWritesMiddleware.COOKIE not in response.cookies


def test_a_shopper_who_just_wrote_reads_the_catalogue_from_the_primary() -> None:
    request = RequestFactory().get("/cart/")
    request.COOKIES[ReadYourWritesMiddleware.COOKIE] = "1"
    assert _through_middleware(request)[0] == "default"


def test_a_shopper_who_wrote_nothing_reads_the_catalogue_from_the_replica() -> None:
    assert _through_middleware(RequestFactory().get("/products/"))[0] == "replica"
