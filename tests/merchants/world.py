"""Builders for the merchant tests: a shop with staff, catalogue, orders and refund requests.

Everything goes through the real services (checkout, sandbox payment, refund requests),
so the rows look exactly as production makes them.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.test import Client

from merchants.models import Merchant, MerchantStaff
from merchants.services import staff_group
from shop.accounts.models import User
from shop.cart.selectors import cart_lines_priced
from shop.catalogue.models import Category, Product, ProductImage, Sku, StockRecord
from shop.orders import services as orders
from shop.orders.models import Order, RefundRequest
from shop.payments import services as payments
from tests import sandbox
from tests.factories import (
    CartFactory,
    CartLineFactory,
    CategoryFactory,
    MerchantFactory,
    ProductFactory,
    ProductImageFactory,
    SkuFactory,
    UserFactory,
)

# Each shop's orders go to a recognisable address, so a leak shows up in a page's text.
ADDRESSES = {
    "A": {
        "recipient_name": "张三",
        "phone": "13800000000",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "street": "文三路 1 号 甲单元",
        "postcode": "310000",
    },
    "B": {
        "recipient_name": "李四",
        "phone": "13911112222",
        "province": "江苏省",
        "city": "南京市",
        "district": "玄武区",
        "street": "中山路 99 号 乙单元",
        "postcode": "210000",
    },
}


def merchant_user(merchant: Merchant, *, role: str = MerchantStaff.Role.OWNER, **kwargs) -> User:
    """A staff user of `merchant`, in the "merchant staff" group, as onboarding makes them."""
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(staff_group())
    MerchantStaff.objects.create(user=user, merchant=merchant, role=role)
    return user


def place_order(
    client: Client,
    sku: Sku,
    *,
    quantity: int = 1,
    address: dict | None = None,
    pay: bool = True,
    extra: list[tuple[Sku, int]] = (),
) -> Order:
    """A shopper buys `sku` (and `extra` lines) through checkout; paid through the sandbox."""
    user = UserFactory()
    cart = CartFactory(user=user)
    CartLineFactory(cart=cart, sku=sku, quantity=quantity)
    for other, n in extra:
        CartLineFactory(cart=cart, sku=other, quantity=n)
    payment = orders.checkout_place_orders(
        user=user,
        cart=cart,
        address=address or ADDRESSES["A"],
        fingerprint=orders.cart_fingerprint(cart_lines_priced(cart=cart)),
        language="en",
    )
    payments.payment_start(payment=payment, return_url="http://testserver/back/")
    if pay:
        sandbox.pay(client, payment)
    return Order.objects.get(payment=payment, merchant=sku.product.merchant)


@dataclass
class Shop:
    key: str
    merchant: Merchant
    owner: User
    colleague: MerchantStaff
    category: Category
    product: Product
    draft: Product
    sku: Sku
    stock: StockRecord
    image: ProductImage
    order: Order  # paid, waiting to ship
    refunded_order: Order  # paid, with a refund request waiting
    refund_request: RefundRequest

    @property
    def owner_staff(self) -> MerchantStaff:
        return self.owner.merchant_staff


def build_shop(client: Client, key: str) -> Shop:
    merchant = MerchantFactory(name=f"店铺{key}", name_en=f"Shop {key}", slug=f"shop-{key.lower()}")
    category = CategoryFactory(
        name=f"类别{key}", name_en=f"Category {key}", commission_rate=Decimal("0.050")
    )
    merchant.categories.add(category)
    # Names carry the key: two random names can be the same, and B's must never show on A's pages.
    owner = merchant_user(merchant, email=f"owner-{key.lower()}@example.com", name=f"店主{key}")
    colleague_user = merchant_user(
        merchant,
        role=MerchantStaff.Role.STAFF,
        email=f"colleague-{key.lower()}@example.com",
        name=f"同事{key}",
    )
    product = ProductFactory(
        merchant=merchant, category=category, title=f"商品{key}", title_en=f"Product {key}"
    )
    draft = ProductFactory(
        merchant=merchant,
        category=category,
        title=f"草稿{key}",
        title_en=f"Draft {key}",
        status=Product.Status.DRAFT,
    )
    sku = SkuFactory(product=product, code=f"SKU-{key}", price=Decimal("100.00"), stock=50)
    SkuFactory(product=draft, code=f"DRAFT-{key}", price=Decimal("10.00"), stock=5)
    image = ProductImageFactory(product=product, alt=f"photo {key}")
    order = place_order(client, sku, address=ADDRESSES[key])
    refunded_order = place_order(client, sku, address=ADDRESSES[key])
    refund_request = orders.refund_request_create(
        order=refunded_order, amount=Decimal("30.00"), reason=f"damaged {key}"
    )
    return Shop(
        key=key,
        merchant=merchant,
        owner=owner,
        colleague=colleague_user.merchant_staff,
        category=category,
        product=product,
        draft=draft,
        sku=sku,
        stock=StockRecord.objects.get(sku=sku),
        image=image,
        order=order,
        refunded_order=refunded_order,
        refund_request=refund_request,
    )
