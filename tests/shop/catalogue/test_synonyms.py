"""Operators' search rules: edited in the admin, applied by re-indexing in the worker."""

from django.urls import reverse

from shop.catalogue import services
from shop.catalogue.models import Product, SearchSynonym
from shop.core.models import JobItem
from tests.conftest import wait_until
from tests.factories import UserFactory
from tests.search import indexed, titles


def test_a_rule_added_in_the_admin_reindexes_its_products_in_the_worker(
    celery_worker, client
) -> None:
    indexed(title="不锈钢保温壶", title_en="Flask")
    indexed(title="帆布托特包", title_en="Tote")
    assert titles("水壶") == set()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.post(
        reverse("admin:catalogue_searchsynonym_add"),
        {"term": "水壶", "alternatives": "保温壶, 烧水壶", "kind": "hypernym"},
    )

    assert response.status_code == 302
    assert wait_until(lambda: titles("水壶") == {"不锈钢保温壶"})


def test_a_deleted_rule_no_longer_finds_the_products(celery_worker, client) -> None:
    synonym = services.search_synonym_save(
        synonym=SearchSynonym(term="水壶", alternatives="保温壶", kind="hypernym")
    )
    indexed(title="不锈钢保温壶", title_en="Flask")
    assert titles("水壶") == {"不锈钢保温壶"}
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    client.post(reverse("admin:catalogue_searchsynonym_delete", args=[synonym.pk]), {"post": "yes"})

    assert wait_until(lambda: titles("水壶") == set())


def test_reindexing_for_words_touches_only_products_that_have_them(db) -> None:
    flask = indexed(title="不锈钢保温壶", title_en="Flask")
    tote = indexed(title="帆布托特包", title_en="Tote")
    SearchSynonym.objects.create(term="水壶", alternatives="保温壶")
    Product.objects.filter(pk=tote.pk).update(search_document="")

    assert services.products_reindex_for_words(words=["水壶", "保温壶"]) == 1

    assert Product.objects.get(pk=tote.pk).search_document == ""
    assert " 水壶 " in Product.objects.get(pk=flask.pk).search_document
    assert not JobItem.objects.exists()


def test_merchant_staff_do_not_see_the_rules(client, db) -> None:
    client.force_login(UserFactory(is_staff=True))
    response = client.get(reverse("admin:catalogue_searchsynonym_changelist"))
    assert response.status_code == 403
