"""factory-boy factories for every model; tests build their data only through these."""

import io
from datetime import timedelta
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from gifting.models import Gift, GiftClaim
from merchants.models import Merchant
from shop.accounts.models import Address, User
from shop.cart.models import Cart, CartLine
from shop.catalogue.models import Category, Product, ProductImage, Sku, StockRecord
from shop.discovery.models import Occasion
from shop.orders.models import Order, OrderLine
from shop.payments.models import Payment


def jpeg_bytes(colour: str = "orange", size: tuple[int, int] = (64, 64)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return out.getvalue()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name", locale="zh_CN")
    password = factory.django.Password("correct-horse-battery")


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    user = factory.SubFactory(UserFactory)
    recipient_name = "张三"
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    province = "浙江省"
    city = "杭州市"
    district = "西湖区"
    street = factory.Sequence(lambda n: f"文三路 {n} 号")
    is_default = False


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"商店{n}")
    name_en = factory.Sequence(lambda n: f"Shop {n}")
    slug = factory.Sequence(lambda n: f"shop-{n}")
    status = Merchant.Status.ACTIVE


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"类别{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    giftable = True
    commission_rate = Decimal("0.050")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    merchant = factory.SubFactory(MerchantFactory)
    category = factory.SubFactory(CategoryFactory)
    title = factory.Sequence(lambda n: f"商品{n}")
    title_en = factory.Sequence(lambda n: f"Product {n}")
    description = "好东西。"
    description_en = "A good thing."
    status = Product.Status.LISTED


class SkuFactory(factory.django.DjangoModelFactory):
    """A SKU with its stock record (`stock=` sets the quantity)."""

    class Meta:
        model = Sku
        skip_postgeneration_save = True

    product = factory.SubFactory(ProductFactory)
    code = factory.Sequence(lambda n: f"SKU-{n}")
    attributes = factory.LazyFunction(lambda: {"colour": "红色"})
    price = Decimal("99.00")

    @factory.post_generation
    def stock(obj: Sku, create: bool, extracted: int | None, **kwargs: object) -> None:
        if create:
            StockRecord.objects.create(sku=obj, quantity=10 if extracted is None else extracted)


class ProductImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    image = factory.LazyFunction(lambda: ContentFile(jpeg_bytes(), name="photo.jpg"))
    thumbnail = factory.LazyFunction(lambda: ContentFile(jpeg_bytes(size=(32, 32)), name="t.jpg"))


class CartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cart


class CartLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CartLine

    cart = factory.SubFactory(CartFactory)
    sku = factory.SubFactory(SkuFactory)
    quantity = 1


class DeliveryAddressFactory(factory.django.DjangoModelFactory):
    """The address fields an order and a gift claim both carry."""

    class Meta:
        abstract = True

    recipient_name = "李小红"
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    province = "浙江省"
    city = "杭州市"
    district = "西湖区"
    street = "文三路 1 号"


class PaymentFactory(factory.django.DjangoModelFactory):
    """A payment the provider confirmed (its charge reference is the evidence)."""

    class Meta:
        model = Payment

    reference = factory.Sequence(lambda n: f"PTEST{n:012d}")
    purpose = Payment.Purpose.GIFT
    amount = Decimal("99.00")
    status = Payment.Status.SUCCEEDED
    gateway = "sandbox"
    provider_reference = factory.Sequence(lambda n: f"ch_test{n:012d}")
    succeeded_at = factory.LazyFunction(timezone.now)


class OrderFactory(DeliveryAddressFactory):
    """A paid order, as a gift claim leaves behind; `status=REFUNDED` is refunded in full."""

    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"T{n:012d}")
    merchant = factory.SubFactory(MerchantFactory)
    status = Order.Status.PAID
    total = Decimal("99.00")
    paid_at = factory.LazyFunction(timezone.now)
    payment = factory.SubFactory(PaymentFactory, amount=factory.SelfAttribute("..total"))
    refunded_amount = factory.LazyAttribute(
        lambda order: order.total if order.status == Order.Status.REFUNDED else Decimal("0.00")
    )


class OrderLineFactory(factory.django.DjangoModelFactory):
    """A line of an order, its title and price copied from the SKU as checkout does."""

    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    sku = factory.SubFactory(SkuFactory)
    product_title = factory.LazyAttribute(lambda line: line.sku.product.title)
    sku_label = ""
    unit_price = factory.LazyAttribute(lambda line: line.sku.price)
    quantity = 1


class GiftFactory(factory.django.DjangoModelFactory):
    """A paid gift's row, written directly (tests/gifts.py goes through the services).

    `status` and `units_claimed` are whatever the test says, within what the database
    allows (gifting.models' constraints); claims are GiftClaimFactory's.
    """

    class Meta:
        model = Gift

    sender = factory.SubFactory(UserFactory)
    sku = factory.SubFactory(SkuFactory)
    quantity = 1
    unit_price = factory.LazyAttribute(lambda gift: gift.sku.price)
    amount = factory.LazyAttribute(lambda gift: gift.unit_price * gift.quantity)
    sender_name = "小明"
    status = Gift.Status.AWAITING_RECIPIENT
    token_salt = factory.Sequence(lambda n: f"salt{n:028d}")
    token_hash = factory.Sequence(lambda n: f"{n:064d}")
    paid_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda gift: gift.paid_at + timedelta(days=1))
    payment = factory.SubFactory(PaymentFactory, amount=factory.SelfAttribute("..amount"))
    # A closed gift closed when its last unit was claimed, or at its deadline.
    finished_at = factory.LazyAttribute(
        lambda gift: None if gift.status == Gift.Status.AWAITING_RECIPIENT else gift.expires_at
    )


class GiftClaimFactory(DeliveryAddressFactory):
    """One accepted unit with its order; `claimed_at=` back-dates it (the field is auto)."""

    class Meta:
        model = GiftClaim

    gift = factory.SubFactory(GiftFactory)
    sku = factory.LazyAttribute(lambda claim: claim.gift.sku)
    order = factory.SubFactory(
        OrderFactory,
        merchant=factory.LazyAttribute(lambda o: o.factory_parent.sku.product.merchant),
    )

    @classmethod
    def _create(cls, model_class: type[GiftClaim], *args: object, **kwargs: object) -> GiftClaim:
        claimed_at = kwargs.pop("claimed_at", None)
        claim = super()._create(model_class, *args, **kwargs)
        if claimed_at is not None:
            model_class.objects.filter(pk=claim.pk).update(claimed_at=claimed_at)
            claim.claimed_at = claimed_at
        return claim


class OccasionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Occasion
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"场合{n}")
    name_en = factory.Sequence(lambda n: f"Occasion {n}")
    slug = factory.Sequence(lambda n: f"occasion-{n}")

    @factory.post_generation
    def categories(obj: Occasion, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create and extracted:
            obj.categories.set(extracted)
