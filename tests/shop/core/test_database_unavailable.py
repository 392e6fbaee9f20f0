import pytest
from django.db import OperationalError
from django.urls import reverse

from shop.catalogue import selectors

pytestmark = pytest.mark.django_db


def test_a_lost_database_answers_503_with_retry_after(client, monkeypatch) -> None:
    def unreachable(**_: object) -> None:
        raise OperationalError("connection to server at 127.0.0.1 failed")

    monkeypatch.setattr(selectors, "product_detail", unreachable)
    response = client.get(reverse("catalogue:product_detail", args=[1]))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
