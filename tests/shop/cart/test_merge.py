import pytest
from django.urls import reverse

from shop.cart.models import Cart, CartLine
from tests.factories import CartFactory, CartLineFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db


def _log_in(client, user) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": user.email, "password": "correct-horse-battery"}
    )
    assert response.status_code == 302


def test_a_guest_cart_joins_the_account_cart_at_login(client) -> None:
    user = UserFactory()
    mine, theirs = SkuFactory(stock=10), SkuFactory(stock=10)
    CartLineFactory(cart=CartFactory(user=user), sku=mine, quantity=2)
    client.post(reverse("cart:add"), {"sku": mine.pk, "quantity": 1})
    client.post(reverse("cart:add"), {"sku": theirs.pk, "quantity": 3})
    _log_in(client, user)
    lines = {line.sku_id: line.quantity for line in CartLine.objects.filter(cart__user=user)}
    assert lines == {mine.pk: 3, theirs.pk: 3}
    assert Cart.objects.filter(user__isnull=True).count() == 0


def test_merging_caps_a_line_at_the_stock(client) -> None:
    user = UserFactory()
    sku = SkuFactory(stock=4)
    CartLineFactory(cart=CartFactory(user=user), sku=sku, quantity=3)
    client.post(reverse("cart:add"), {"sku": sku.pk, "quantity": 3})
    _log_in(client, user)
    assert CartLine.objects.get(cart__user=user).quantity == 4


def test_signing_up_keeps_the_guest_cart(client) -> None:
    sku = SkuFactory(stock=5)
    client.post(reverse("cart:add"), {"sku": sku.pk, "quantity": 2})
    client.post(
        reverse("accounts:signup"),
        {
            "email": "new@example.com",
            "password1": "gift-shop-2026!",
            "password2": "gift-shop-2026!",
        },
    )
    assert CartLine.objects.get(cart__user__email="new@example.com").quantity == 2
