"""Builders for orders that go through the real services (checkout, gateway, notification)."""

from decimal import Decimal

from django.test import Client

from shop.cart.selectors import cart_lines_priced
from shop.orders import services
from shop.orders.models import Order
from shop.payments import services as payments
from shop.payments.models import Payment
from tests import sandbox
from tests.factories import AddressFactory, CartFactory, CartLineFactory, SkuFactory, UserFactory

# A delivery address as checkout takes it.
ADDRESS = {
    "recipient_name": "张三",
    "phone": "13800000000",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "street": "文三路 1 号",
}


def place_order(quantity: int = 1, price: str = "100.00", stock: int = 10) -> tuple[Payment, Order]:
    user = UserFactory()
    address = AddressFactory(user=user)
    cart = CartFactory(user=user)
    sku = SkuFactory(price=Decimal(price), stock=stock)
    CartLineFactory(cart=cart, sku=sku, quantity=quantity)
    payment = services.checkout_place_orders(
        user=user,
        cart=cart,
        address={f: getattr(address, f) for f in services.ADDRESS_FIELDS},
        fingerprint=services.cart_fingerprint(cart_lines_priced(cart=cart)),
        language="en",
    )
    payments.payment_start(payment=payment, return_url="http://testserver/back/")
    return payment, Order.objects.get(payment=payment)


def paid_order(client: Client, **kwargs: object) -> Order:
    payment, order = place_order(**kwargs)
    sandbox.pay(client, payment)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    return order
