"""The cart's "back to where you were" (`next`) stays on this site."""

import pytest
from django.urls import reverse

from tests.factories import SkuFactory

pytestmark = pytest.mark.django_db

OFF_SITE = ["https://evil.example/", "//evil.example/x", "\\\\evil.example", "/\\evil.example"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_adding_to_the_cart_never_sends_the_shopper_off_site(client, target: str) -> None:
    sku = SkuFactory(stock=5)
    response = client.post(reverse("cart:add"), {"sku": sku.pk, "quantity": 1, "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("cart:detail")


def test_adding_to_the_cart_goes_back_to_the_product_page(client) -> None:
    sku = SkuFactory(stock=5)
    page = f"/products/{sku.product_id}/"
    response = client.post(reverse("cart:add"), {"sku": sku.pk, "quantity": 1, "next": page})
    assert response["Location"] == f"{page}?sku={sku.pk}"
