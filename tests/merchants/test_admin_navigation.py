"""The admin's sidebar by task, its header, and the operators' queues on the home page."""

import pytest
from django.test import Client
from django.urls import reverse

from merchants.models import MerchantApplication
from shop.core import jobs
from tests.factories import MerchantFactory, UserFactory
from tests.merchants.world import merchant_user

pytestmark = pytest.mark.django_db


def _home(user) -> object:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client.get(reverse("admin:index"))


def _sidebar_links(response) -> set[str]:
    return {
        item["link"] for group in response.context["sidebar_navigation"] for item in group["items"]
    }


def test_a_merchants_sidebar_lists_its_tasks_and_no_platform_model() -> None:
    response = _home(merchant_user(MerchantFactory(name_en="Osmanthus House")))
    links = _sidebar_links(response)
    assert reverse("backoffice:orders_to_ship") in links
    assert reverse("backoffice:tracking_import") in links
    assert reverse("backoffice:catalogue_import") in links
    assert reverse("admin:catalogue_product_changelist") in links
    assert reverse("admin:catalogue_stockrecord_changelist") in links
    for platform in (
        "merchants_merchantapplication",
        "payments_payment",
        "core_jobitem",
        "accounts_user",
    ):
        assert reverse(f"admin:{platform}_changelist") not in links


def test_an_operators_sidebar_has_the_platform_group() -> None:
    response = _home(UserFactory(is_staff=True, is_superuser=True))
    links = _sidebar_links(response)
    assert reverse("admin:core_jobitem_changelist") in links
    assert reverse("admin:merchants_merchantapplication_changelist") in links


def test_the_header_is_the_merchants_shop_name() -> None:
    response = _home(merchant_user(MerchantFactory(name="桂香坊", name_en="Osmanthus House")))
    assert response.context["site_header"] == "Osmanthus House"


def test_the_header_is_the_platforms_for_operators() -> None:
    response = _home(UserFactory(is_staff=True, is_superuser=True))
    assert response.context["site_header"] == "Gift Shop"


def test_operators_home_page_counts_what_waits_for_them(settings) -> None:
    MerchantApplication.objects.create(
        legal_name="杭州桂香食品有限公司",
        shop_name="桂香坊",
        uscc="91350100M000100Y43",
        contact_name="王芳",
        contact_phone="13800138000",
        email="a@example.com",
    )
    settings.JOB_MAX_ATTEMPTS = 1
    jobs.failed("refunds", 1, "still broken")  # parked after its last attempt
    response = _home(UserFactory(is_staff=True, is_superuser=True))
    counts = {queue.title: queue.count for queue in response.context["queues"]}
    assert counts["Shop applications waiting"] == 1
    assert counts["Jobs parked (need attention)"] == 1
    assert counts["Webhook deliveries that gave up"] == 0
    assert reverse("admin:core_jobitem_changelist") + "?status__exact=parked" in response.text


def test_a_merchants_home_page_has_no_platform_queues() -> None:
    response = _home(merchant_user(MerchantFactory()))
    assert response.context["queues"] == []
    assert "Waiting for operators" not in response.text


def test_operators_are_not_offered_the_shop_imports() -> None:
    links = _sidebar_links(_home(UserFactory(is_staff=True, is_superuser=True)))

    assert reverse("backoffice:orders_to_ship") in links
    assert reverse("backoffice:catalogue_import") not in links
    assert reverse("backoffice:tracking_import") not in links
