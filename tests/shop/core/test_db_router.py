import pytest
from django.db import transaction

from gifting.models import Gift
from shop.catalogue.models import Product, StockRecord
from shop.core.db_router import CatalogueReplicaRouter

WITH_REPLICA = CatalogueReplicaRouter(databases={"default": {}, "replica": {}})
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
