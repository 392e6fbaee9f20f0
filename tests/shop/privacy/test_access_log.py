"""Operators export the address-view log for a period, as CSV that cannot run formulas."""

import csv
import io

import pytest
from django.test import Client
from django.utils.timezone import localdate

from merchants.models import AddressAccessLog
from shop.partners.models import Partner
from tests.factories import OrderFactory, UserFactory
from tests.merchants.world import merchant_user

from .world import ago

pytestmark = pytest.mark.django_db

EXPORT = "/admin/merchants/addressaccesslog/export/"


def operator() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def viewed(days_ago: float, **viewer: object) -> AddressAccessLog:
    log = AddressAccessLog.objects.create(order=OrderFactory(), **viewer)
    AddressAccessLog.objects.filter(pk=log.pk).update(viewed_at=ago(days_ago))
    log.refresh_from_db()
    return log


def rows(response: object) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_an_operator_exports_the_views_of_a_period_both_days_included() -> None:
    """Days in the shop's time zone (TIME_ZONE), as the operator reads the log."""
    staff = UserFactory(email="clerk@example.com", is_staff=True)
    inside, edge = viewed(5, user=staff), viewed(3, user=staff)
    viewed(30, user=staff)
    since, until = localdate(inside.viewed_at), localdate(edge.viewed_at)
    response = operator().get(EXPORT, {"since": since, "until": until})
    assert response["Content-Type"].startswith("text/csv")
    table = rows(response)
    assert table[0] == ["viewed_at", "viewer", "via", "order", "merchant"]
    assert [row[3] for row in table[1:]] == [inside.order.number, edge.order.number]
    assert table[1][1:3] == ["clerk@example.com", "staff"]


def test_a_partner_name_that_looks_like_a_formula_is_exported_as_text() -> None:
    log = viewed(1, partner=Partner.objects.create(name='=HYPERLINK("http://x")'))
    response = operator().get(
        EXPORT, {"since": localdate(log.viewed_at), "until": localdate(log.viewed_at)}
    )
    assert rows(response)[1][1:3] == ['\'=HYPERLINK("http://x")', "api"]


def test_a_period_that_ends_before_it_starts_is_refused_with_a_message() -> None:
    response = operator().get(EXPORT, {"since": "2026-05-02", "until": "2026-05-01"})
    assert response["Content-Type"].startswith("text/html")
    assert "The period ends before it starts." in response.content.decode()


def test_the_export_form_is_linked_from_the_log() -> None:
    page = operator().get("/admin/merchants/addressaccesslog/").content.decode()
    assert f'href="{EXPORT}"' in page


def test_the_selected_views_export_as_csv_too() -> None:
    log = viewed(1, user=UserFactory(is_staff=True))
    response = operator().post(
        "/admin/merchants/addressaccesslog/",
        {"action": "export_csv", "_selected_action": [log.pk]},
    )
    assert rows(response)[1][3] == log.order.number


def test_merchant_staff_cannot_export_the_log() -> None:
    viewed(1, user=UserFactory(is_staff=True))
    staff = Client()
    staff.force_login(merchant_user(OrderFactory().merchant))
    response = staff.get(EXPORT, {"since": "2020-01-01", "until": "2030-01-01"})
    assert response.status_code == 403
