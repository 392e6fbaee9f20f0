from decimal import Decimal

import pytest
from django.urls import reverse

from shop.cart.models import CartLine
from shop.catalogue.models import Product
from tests.factories import ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db


def _add(client, sku_id: object, quantity: object = 1, **extra: object):
    return client.post(
        reverse("cart:add"),
        {"sku": sku_id, "quantity": quantity, **extra},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )


def test_adding_a_sku_puts_it_in_the_guest_cart(client) -> None:
    sku = SkuFactory(price=Decimal("129.00"), stock=5)
    response = _add(client, sku.pk, 2)
    assert "Added to your cart." in response.text
    line = CartLine.objects.get()
    assert (line.sku, line.quantity) == (sku, 2)
    assert "¥258.00" in client.get(reverse("cart:detail")).text


def test_adding_the_same_sku_again_adds_to_the_line(client) -> None:
    sku = SkuFactory(stock=5)
    _add(client, sku.pk, 2)
    _add(client, sku.pk, 1)
    assert CartLine.objects.get().quantity == 3


def test_a_price_in_the_form_is_ignored(client) -> None:
    sku = SkuFactory(price=Decimal("129.00"))
    _add(client, sku.pk, 1, price="0.01")
    assert "¥129.00" in client.get(reverse("cart:detail")).text


@pytest.mark.parametrize("sku_id", ["999999", "abc", "", "-1"])
def test_a_tampered_sku_id_is_refused_with_a_message(client, sku_id: str) -> None:
    response = _add(client, sku_id)
    assert response.status_code == 200
    assert not CartLine.objects.exists()
    assert "message--error" in response.text


def test_an_unlisted_products_sku_cannot_be_added(client) -> None:
    sku = SkuFactory(product=ProductFactory(status=Product.Status.DRAFT))
    response = _add(client, sku.pk)
    assert "no longer available" in response.text
    assert not CartLine.objects.exists()


def test_quantity_is_capped_by_stock(client) -> None:
    sku = SkuFactory(stock=3)
    _add(client, sku.pk, 2)
    response = _add(client, sku.pk, 2)
    assert "Only 3 left" in response.text
    assert CartLine.objects.get().quantity == 2


def test_quantity_is_capped_per_line(client, settings) -> None:
    settings.CART_MAX_LINE_QUANTITY = 5
    sku = SkuFactory(stock=100)
    response = _add(client, sku.pk, 6)
    assert "at most 5" in response.text
    assert not CartLine.objects.exists()


def test_a_sold_out_sku_cannot_be_added(client) -> None:
    response = _add(client, SkuFactory(stock=0).pk)
    assert "sold out" in response.text
    assert not CartLine.objects.exists()


def test_changing_and_removing_lines(client) -> None:
    sku = SkuFactory(stock=5)
    _add(client, sku.pk, 1)
    line = CartLine.objects.get()
    client.post(reverse("cart:update", args=[line.pk]), {"quantity": 4})
    assert CartLine.objects.get().quantity == 4
    client.post(reverse("cart:update", args=[line.pk]), {"quantity": 0})
    assert not CartLine.objects.exists()


def test_another_shoppers_cart_line_cannot_be_changed(client, django_user_model) -> None:
    sku = SkuFactory(stock=5)
    _add(client, sku.pk, 1)
    line = CartLine.objects.get()
    other = client.__class__()
    _add(other, SkuFactory(stock=5).pk, 1)
    other.post(reverse("cart:update", args=[line.pk]), {"quantity": 3})
    other.post(reverse("cart:remove", args=[line.pk]))
    assert CartLine.objects.get(pk=line.pk).quantity == 1
