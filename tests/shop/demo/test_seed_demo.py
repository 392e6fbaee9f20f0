"""`manage.py seed_demo`: reruns create nothing, `--products N` is exact, the data is usable.

Tests of the catalogue pass `--gifts 0`: the gift history is replayed through the services
(tests/shop/demo/test_history.py checks it), which takes longer than the catalogue.
"""

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from gifting.models import Gift, GiftClaim
from merchants.models import Merchant
from shop.accounts.models import Address, User
from shop.catalogue import selectors
from shop.catalogue.models import Category, Product, ProductImage, Sku, StockRecord
from shop.core.regions import PROVINCES
from shop.demo import demo_data
from shop.demo.images import image_name, thumbnail_name
from shop.demo.selectors import demo_products
from shop.discovery import selectors as discovery
from shop.discovery.models import Occasion
from tests import sandbox

MODELS = (Category, Merchant, Product, Sku, StockRecord, ProductImage, User, Address)


@pytest.fixture(scope="module")
def demo_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One media folder for the module, so the 30 demo pictures are drawn once, not per test."""
    return tmp_path_factory.mktemp("demo-media")


@pytest.fixture(autouse=True)
def _shared_media(settings: object, demo_media: Path) -> None:
    settings.MEDIA_ROOT = demo_media  # type: ignore[attr-defined]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.mark.django_db
def test_default_catalogue_then_rerun_creates_nothing(demo_media: Path) -> None:
    seed("--gifts", "0")
    first = counts()
    output = seed("--gifts", "0")

    assert counts() == first
    assert "Created 0 categories, 0 merchants, 0 products, 0 SKUs, 0 users" in output
    assert demo_products().count() == 200
    assert first["Category"] == 25
    assert first["Merchant"] == len(demo_data.MERCHANTS)
    assert first["StockRecord"] == first["Sku"]
    for number in range(demo_data.IMAGE_COUNT):
        assert (demo_media / image_name(number)).is_file()
        assert (demo_media / thumbnail_name(number)).is_file()


@pytest.mark.django_db
def test_default_catalogue_looks_like_a_shop() -> None:
    seed("--gifts", "0")
    products = Product.objects.all()

    assert set(products.values_list("status", flat=True)) == {Product.Status.LISTED}
    assert 5 <= products.filter(featured=True).count() <= 40
    assert products.filter(title__contains="包", title_en__contains="Bag").count() >= 3
    assert products.filter(title__contains="咖啡").count() >= 3
    assert not products.filter(images__isnull=True).exists()
    assert not products.filter(skus__isnull=True).exists()
    ordinary = Sku.objects.exclude(product__category__parent__slug="jewellery")
    assert all(
        Decimal("9.90") <= price <= Decimal("2999.00")
        for price in ordinary.values_list("price", flat=True)
    )
    assert all(
        rate <= Decimal("0.15")
        for rate in Category.objects.values_list("commission_rate", flat=True)
    )


@pytest.mark.django_db
def test_products_option_gives_exactly_n_and_extends() -> None:
    seed("--products", "30", "--gifts", "0")
    assert demo_products().count() == 30
    first_pks = set(demo_products().values_list("pk", flat=True))

    seed("--products", "45", "--gifts", "0")
    assert demo_products().count() == 45
    assert first_pks <= set(demo_products().values_list("pk", flat=True))

    output = seed("--products", "10", "--gifts", "0")
    assert demo_products().count() == 45
    assert "none were removed" in output


@pytest.mark.django_db
def test_non_giftable_categories_have_products() -> None:
    seed("--products", "30", "--gifts", "0")
    for slug in ("jewellery", "education"):
        top = Category.objects.get(slug=slug)
        assert not top.giftable
        assert top.children.exists()
        for child in top.children.all():
            assert not child.giftable
            assert child.products.exists()
    leaves = Category.objects.filter(parent__isnull=False)
    assert all(leaf.products.exists() for leaf in leaves)


@pytest.mark.django_db
def test_some_skus_are_sold_out() -> None:
    seed("--products", "30", "--gifts", "0")
    assert StockRecord.objects.filter(quantity=0).exists()
    assert StockRecord.objects.filter(quantity__gt=0).exists()
    assert not Sku.objects.filter(stock__isnull=True).exists()


@pytest.mark.django_db
def test_logins_are_printed_and_work() -> None:
    output = seed("--products", "0")

    for text in (
        demo_data.SHOPPER_EMAIL,
        demo_data.SHOPPER_PASSWORD,
        demo_data.OPERATOR_EMAIL,
        demo_data.OPERATOR_PASSWORD,
    ):
        assert text in output
    shopper = User.objects.get(email=demo_data.SHOPPER_EMAIL)
    operator = User.objects.get(email=demo_data.OPERATOR_EMAIL)
    assert shopper.check_password(demo_data.SHOPPER_PASSWORD)
    assert shopper.name == "王小明"
    assert operator.check_password(demo_data.OPERATOR_PASSWORD)
    assert operator.is_superuser and operator.is_staff
    address = shopper.addresses.get()
    assert address.is_default
    assert address.province in dict(PROVINCES)


@pytest.mark.django_db
def test_rerun_keeps_a_changed_password() -> None:
    seed("--products", "0")
    shopper = User.objects.get(email=demo_data.SHOPPER_EMAIL)
    shopper.set_password("changed-by-the-shopper")
    shopper.save()

    seed("--products", "0")

    shopper.refresh_from_db()
    assert shopper.check_password("changed-by-the-shopper")
    assert shopper.addresses.count() == 1


@pytest.mark.django_db
def test_seeded_products_are_searchable() -> None:
    seed("--products", "30", "--gifts", "0")
    assert not demo_products().filter(search_vector__isnull=True).exists()
    assert selectors.product_listing(query="咖啡").exists()


def test_product_plan_is_deterministic() -> None:
    assert demo_data.product_plan(1234) == demo_data.product_plan(1234)
    plan = demo_data.product_plan(1234)
    assert 1 <= len(plan.skus) <= 4
    assert 1 <= len(plan.images) <= 3
    assert all(sku.price == sku.price.quantize(Decimal("0.01")) for sku in plan.skus)


@pytest.mark.django_db
def test_demo_gift_history_gives_plausible_charts_and_is_not_added_twice() -> None:
    output = seed()
    gifts, claims = Gift.objects.count(), GiftClaim.objects.count()
    rerun = seed()

    assert f"Created {len(demo_data.OCCASIONS)} occasions and {gifts} gifts" in output
    assert "Created 0 occasions and 0 gifts" in rerun
    assert (Gift.objects.count(), GiftClaim.objects.count()) == (gifts, claims)
    assert gifts >= 0.95 * demo_data.GIFT_COUNT and claims > 0.6 * gifts
    statuses = set(Gift.objects.values_list("status", flat=True))
    assert {"accepted", "declined", "expired", "awaiting_recipient"} <= statuses
    assert len(discovery.gift_chart(limit=10)) == 10
    rising = [e.merchant.slug for e in discovery.rising_brands()]
    assert {"mengqu-toys", "qinghe-tea"} <= set(rising[:3])
    assert "city-leather" not in rising
    birthday = Occasion.objects.get(slug="birthday")
    assert len(discovery.gift_finder(occasion=birthday)) == 24
    top = discovery.gift_chart(limit=1)[0].product
    assert discovery.also_given(product=top)


def test_gift_plan_is_deterministic() -> None:
    assert demo_data.gift_plan(7) == demo_data.gift_plan(7)
    assert demo_data.gift_plan(7) != demo_data.gift_plan(8)


@pytest.mark.django_db
def test_gifts_option_out_of_range_is_refused() -> None:
    with pytest.raises(CommandError, match="--gifts must be between 0 and"):
        seed("--products", "0", "--gifts", str(demo_data.GIFT_COUNT + 1))


@pytest.mark.django_db
def test_history_is_refused_when_the_shop_does_not_pay_through_the_sandbox(settings) -> None:
    settings.PAYMENT_GATEWAY = settings.PAYMENT_GATEWAYS["balance"]
    with pytest.raises(CommandError, match="paid through the sandbox provider"):
        seed("--products", "30", "--gifts", "20")
    assert demo_products().count() == 30
    assert not Gift.objects.exists()


@pytest.mark.django_db
def test_history_is_refused_while_sandbox_failure_modes_are_on() -> None:
    sandbox.set_mode(decline_payments=True)
    with pytest.raises(CommandError, match="failure modes switched on"):
        seed("--products", "30", "--gifts", "20")
    assert not Gift.objects.exists()
