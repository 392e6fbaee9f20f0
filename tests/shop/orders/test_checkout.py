from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from shop.cart.models import CartLine
from shop.catalogue.models import StockRecord
from shop.orders.models import Order
from shop.payments.models import Payment
from tests import sandbox
from tests.factories import (
    AddressFactory,
    CartFactory,
    CartLineFactory,
    MerchantFactory,
    ProductFactory,
    SkuFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper(client):
    user = UserFactory()
    AddressFactory(user=user, is_default=True)
    client.force_login(user)
    return user


def _cart_with(user, *lines: tuple) -> None:
    cart = CartFactory(user=user)
    for sku, quantity in lines:
        CartLineFactory(cart=cart, sku=sku, quantity=quantity)


def _checkout(client, **overrides):
    page = client.get(reverse("orders:checkout"))
    data = {
        "fingerprint": page.context["fingerprint"],
        "address": page.context["chosen"],
        **overrides,
    }
    return client.post(reverse("orders:checkout"), data, HTTP_ACCEPT_LANGUAGE="en")


def test_two_merchants_become_two_orders_paid_by_one_payment(client, shopper) -> None:
    bag = SkuFactory(
        product=ProductFactory(merchant=MerchantFactory()), price=Decimal("129.00"), stock=5
    )
    tea = SkuFactory(
        product=ProductFactory(merchant=MerchantFactory()), price=Decimal("58.50"), stock=5
    )
    _cart_with(shopper, (bag, 2), (tea, 1))

    response = _checkout(client)

    assert response.status_code == 302
    assert "/sandbox/pay/" in response.url
    payment = Payment.objects.get()
    assert payment.amount == Decimal("316.50")
    orders = Order.objects.filter(payment=payment).order_by("total")
    assert [o.total for o in orders] == [Decimal("58.50"), Decimal("258.00")]
    assert {o.status for o in orders} == {Order.Status.PENDING_PAYMENT}
    assert StockRecord.objects.get(sku=bag).quantity == 3
    assert StockRecord.objects.get(sku=tea).quantity == 4
    assert not CartLine.objects.exists()

    sandbox.pay(client, payment)

    assert {o.status for o in Order.objects.all()} == {Order.Status.PAID}
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED


def test_the_return_redirect_alone_does_not_mark_anything_paid(client, shopper) -> None:
    _cart_with(shopper, (SkuFactory(stock=5), 1))
    _checkout(client)
    payment = Payment.objects.get()
    from shop.sandbox import provider
    from shop.sandbox.models import SandboxCharge

    provider.charge_complete(charge_id=SandboxCharge.objects.get().pk, approve=True)
    page = client.get(
        reverse("orders:payment", args=[payment.reference]), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "Waiting for the payment confirmation" in page.text
    assert Order.objects.get().status == Order.Status.PENDING_PAYMENT


def test_a_declined_payment_leaves_the_order_unpaid_and_payable_again(client, shopper) -> None:
    _cart_with(shopper, (SkuFactory(stock=5), 1))
    _checkout(client)
    payment = Payment.objects.get()
    sandbox.pay(client, payment, approve=False)
    assert Payment.objects.get().status == Payment.Status.FAILED
    assert Order.objects.get().status == Order.Status.PENDING_PAYMENT

    retry = client.post(reverse("orders:payment_retry", args=[payment.reference]))
    new_payment = Payment.objects.exclude(pk=payment.pk).get()
    assert "/sandbox/pay/" in retry.url
    sandbox.pay(client, new_payment)
    assert Order.objects.get().status == Order.Status.PAID


def test_a_changed_price_stops_checkout_with_a_message_and_nothing_written(client, shopper) -> None:
    sku = SkuFactory(price=Decimal("10.00"), stock=5)
    _cart_with(shopper, (sku, 1))
    page = client.get(reverse("orders:checkout"))
    sku.price = Decimal("12.00")
    sku.save()
    response = client.post(
        reverse("orders:checkout"),
        {"fingerprint": page.context["fingerprint"], "address": page.context["chosen"]},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "Your cart changed" in response.text
    assert not Order.objects.exists() and not Payment.objects.exists()
    assert StockRecord.objects.get(sku=sku).quantity == 5


def test_a_forged_fingerprint_is_refused(client, shopper) -> None:
    sku = SkuFactory(stock=5)
    _cart_with(shopper, (sku, 1))
    response = client.post(
        reverse("orders:checkout"),
        {"fingerprint": "forged", "address": str(shopper.addresses.get().pk)},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "Your cart changed" in response.text
    assert not Order.objects.exists()
    assert StockRecord.objects.get(sku=sku).quantity == 5


def test_another_shoppers_address_id_is_refused(client, shopper) -> None:
    sku = SkuFactory(stock=5)
    _cart_with(shopper, (sku, 1))
    response = _checkout(client, address=str(AddressFactory().pk))
    assert "Choose a delivery address" in response.text
    assert not Order.objects.exists()
    assert StockRecord.objects.get(sku=sku).quantity == 5


def test_a_new_address_with_a_bad_phone_is_refused_with_a_message(client) -> None:
    user = UserFactory()
    client.force_login(user)
    _cart_with(user, (SkuFactory(stock=5), 1))
    page = client.get(reverse("orders:checkout"))
    response = client.post(
        reverse("orders:checkout"),
        {
            "fingerprint": page.context["fingerprint"],
            "address": "new",
            "new-recipient_name": "李四",
            "new-phone": "12345",
            "new-province": "浙江省",
            "new-city": "杭州市",
            "new-district": "西湖区",
            "new-street": "文三路 1 号",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "11-digit" in response.text
    assert not Order.objects.exists()


def test_checkout_with_a_new_address_saves_it_to_the_book(client) -> None:
    user = UserFactory()
    client.force_login(user)
    _cart_with(user, (SkuFactory(stock=5), 1))
    page = client.get(reverse("orders:checkout"))
    client.post(
        reverse("orders:checkout"),
        {
            "fingerprint": page.context["fingerprint"],
            "address": "new",
            "new-recipient_name": "李四",
            "new-phone": "+86 139 1234 5678",
            "new-province": "浙江省",
            "new-city": "杭州市",
            "new-district": "西湖区",
            "new-street": "文三路 1 号",
            "new-save_to_book": "on",
        },
    )
    order = Order.objects.get()
    assert (order.recipient_name, order.phone) == ("李四", "13912345678")
    assert user.addresses.get().phone == "13912345678"


def test_sold_out_during_checkout_is_a_clear_message_with_nothing_written(client, shopper) -> None:
    sku = SkuFactory(stock=2)
    other = SkuFactory(stock=5)
    _cart_with(shopper, (other, 1), (sku, 2))
    page = client.get(reverse("orders:checkout"))
    StockRecord.objects.filter(sku=sku).update(quantity=1)
    response = client.post(
        reverse("orders:checkout"),
        {"fingerprint": page.context["fingerprint"], "address": page.context["chosen"]},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "sold out" in response.text
    assert not Order.objects.exists() and not Payment.objects.exists()
    assert StockRecord.objects.get(sku=other).quantity == 5
    assert CartLine.objects.count() == 2


def test_checkout_needs_a_login(client) -> None:
    response = client.get(reverse("orders:checkout"))
    assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_an_empty_cart_goes_back_to_the_cart(client, shopper) -> None:
    response = client.get(reverse("orders:checkout"))
    assert response.url == reverse("cart:detail")


def test_the_provider_not_answering_keeps_the_order_payable(client, shopper) -> None:
    _cart_with(shopper, (SkuFactory(stock=5), 1))
    sandbox.set_mode(timeout_requests=True)
    response = _checkout(client)
    payment = Payment.objects.get()
    assert response.url == reverse("orders:payment", args=[payment.reference])
    assert Order.objects.get().status == Order.Status.PENDING_PAYMENT
    sandbox.set_mode(timeout_requests=False)
    retry = client.post(reverse("orders:payment_retry", args=[payment.reference]))
    assert "/sandbox/pay/" in retry.url
    sandbox.pay(client, payment)
    assert Order.objects.get().status == Order.Status.PAID


def test_the_confirmation_email_is_in_the_language_the_shopper_used(client, shopper) -> None:
    from shop.orders.tasks import send_order_confirmation_task

    _cart_with(shopper, (SkuFactory(stock=5), 1))
    page = client.get(reverse("orders:checkout"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.post(
        reverse("orders:checkout"),
        {"fingerprint": page.context["fingerprint"], "address": page.context["chosen"]},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    order = Order.objects.get()
    assert order.language == "zh-hans"
    send_order_confirmation_task.run(order.pk)
    email = mail.outbox[-1]
    assert email.to == [shopper.email]
    assert order.number in email.subject
    assert "合计" in email.body or "总计" in email.body
