"""Writes for the demo shop: what `manage.py seed_demo` fills the database with.

Everything is looked up before it is created, so a second run adds nothing. Demo product
number *i* is derived from *i* alone (see `demo_data.product_plan`) and recognised by the
code of its first SKU, `DEMO-{i:06d}-1`; asking for N products therefore only creates the
indices below N that are missing, and a larger N extends the catalogue.

Catalogue rows (products, SKUs, stock, images) are written with `bulk_create`, one
transaction per batch, so 10,000 products take seconds: they are rows a merchant could
have entered, in states the catalogue allows. Everything that moves money or changes
state (gifts, claims, orders, payments, refunds) is replayed through the services
instead, see `history`.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from merchants.models import Merchant, MerchantStaff
from merchants.services import staff_group
from shop.accounts import services as account_services
from shop.accounts.models import User
from shop.catalogue import services as catalogue
from shop.catalogue.models import Category, Product, ProductImage, Sku, StockRecord
from shop.discovery.models import Occasion
from shop.discovery.services import charts_recompute
from shop.privacy import services as privacy

from . import demo_data, history, selectors
from .demo_data import ProductPlan
from .images import IMAGE_SIZE, ensure_demo_images, image_name, thumbnail_name

BATCH_SIZE = 2000
INSERT_BATCH_SIZE = 1000


@dataclass(frozen=True)
class Seeded:
    """What one run created, for the command to report."""

    categories: int
    merchants: int
    products: int
    skus: int
    users: int
    image_files: int
    occasions: int
    gifts: int
    chart_ms: int


def demo_seed(*, products: int, gifts: int = demo_data.GIFT_COUNT) -> Seeded:
    """Seed the demo shop with `products` demo products; only what is missing is created.

    The gift history (the first `gifts` planned gifts) is written once, by the first run
    with giftable products; raises HistoryError if it cannot be paid (see `history`).
    """
    files = ensure_demo_images()
    with transaction.atomic():
        categories, new_categories = seed_categories()
        merchants, new_merchants = seed_merchants()
        new_users = seed_users()
    new_products, new_skus = seed_products(products, categories, merchants)
    new_users += seed_merchant_staff(merchants)
    new_occasions = seed_occasions(categories)
    new_gifts = history.history_seed(
        senders=seed_gift_senders(),
        shopper=User.objects.get(email=demo_data.SHOPPER_EMAIL),
        gifts=gifts,
    )
    run = charts_recompute()
    privacy.purge_run()  # operators see the retention purge's last run from the start
    return Seeded(
        categories=new_categories,
        merchants=new_merchants,
        products=new_products,
        skus=new_skus,
        users=new_users,
        image_files=files,
        occasions=new_occasions,
        gifts=new_gifts,
        chart_ms=run.duration_ms,
    )


# --- Categories, merchants, people -----------------------------------------------------------


def seed_categories() -> tuple[dict[str, Category], int]:
    """Both levels of the category tree, by slug; existing categories are left as they are."""
    by_slug: dict[str, Category] = {}
    created = 0
    for position, spec in enumerate(demo_data.CATEGORIES):
        parent, made = Category.objects.get_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "name_en": spec.name_en,
                "giftable": spec.giftable,
                "commission_rate": spec.commission_rate,
                "position": position,
            },
        )
        by_slug[spec.slug] = parent
        created += made
        for child_position, child in enumerate(spec.children):
            category, made = Category.objects.get_or_create(
                slug=child.slug,
                defaults={
                    "parent": parent,
                    "name": child.name,
                    "name_en": child.name_en,
                    "giftable": child.giftable,
                    "commission_rate": child.commission_rate,
                    "position": child_position,
                },
            )
            by_slug[child.slug] = category
            created += made
    Category.objects.filter(slug__in=demo_data.QUALIFIED_CATEGORIES).update(
        requires_qualification=True
    )
    return by_slug, created


def seed_merchants() -> tuple[dict[str, Merchant], int]:
    by_slug: dict[str, Merchant] = {}
    created = 0
    for spec in demo_data.MERCHANTS:
        merchant, made = Merchant.objects.get_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "name_en": spec.name_en,
                "status": Merchant.Status.ACTIVE,
                "includes_greeting_card": spec.includes_greeting_card,
            },
        )
        by_slug[spec.slug] = merchant
        created += made
    return by_slug, created


def seed_users() -> int:
    """The demo shopper (signed up, so with their consent, and a default address) and the
    operator superuser.

    Passwords are set only when an account is created, so a rerun never undoes a change.
    """
    created = 0
    shopper = User.objects.filter(email=demo_data.SHOPPER_EMAIL).first()
    if shopper is None:
        shopper = account_services.shopper_signup(
            email=demo_data.SHOPPER_EMAIL,
            password=demo_data.SHOPPER_PASSWORD,
            name=demo_data.SHOPPER_NAME,
        )
        created += 1
    if not shopper.addresses.exists():
        account_services.address_save(
            user=shopper, data=demo_data.SHOPPER_ADDRESS, make_default=True
        )
    if not User.objects.filter(email=demo_data.OPERATOR_EMAIL).exists():
        User.objects.create_superuser(
            email=demo_data.OPERATOR_EMAIL,
            password=demo_data.OPERATOR_PASSWORD,
            name=demo_data.OPERATOR_NAME,
        )
        created += 1
    return created


def seed_merchant_staff(merchants: dict[str, Merchant]) -> int:
    """Each demo merchant may sell in the categories it has products in; one has an owner login."""
    for merchant in merchants.values():
        merchant.categories.add(*Category.objects.filter(products__merchant=merchant).distinct())
    if User.objects.filter(email=demo_data.MERCHANT_EMAIL).exists():
        return 0
    owner = User.objects.create_user(
        email=demo_data.MERCHANT_EMAIL,
        password=demo_data.MERCHANT_PASSWORD,
        name=demo_data.MERCHANT_NAME,
        is_staff=True,
    )
    owner.groups.add(staff_group())
    MerchantStaff.objects.create(
        user=owner, merchant=merchants[demo_data.MERCHANT_SLUG], role=MerchantStaff.Role.OWNER
    )
    return 1


# --- Products ---------------------------------------------------------------------------------


def create_products(
    plans: Sequence[ProductPlan],
    categories: dict[str, Category],
    merchants: dict[str, Merchant],
) -> tuple[int, int]:
    """Insert one batch of planned products with SKUs, stock, images and search vectors.

    Bulk inserts skip `save()`, so the search vector is filled here explicitly; the products
    carry their category and merchant objects, so the refresh needs no further queries.
    """
    products = [
        Product(
            merchant=merchants[plan.merchant],
            category=categories[plan.category],
            title=plan.title,
            title_en=plan.title_en,
            description=plan.description,
            description_en=plan.description_en,
            status=Product.Status.LISTED,
            featured=plan.featured,
        )
        for plan in plans
    ]
    Product.objects.bulk_create(products, batch_size=INSERT_BATCH_SIZE)

    skus: list[Sku] = []
    quantities: list[int] = []
    images: list[ProductImage] = []
    for product, plan in zip(products, plans, strict=True):
        for position, sku in enumerate(plan.skus):
            skus.append(
                Sku(
                    product=product,
                    code=demo_data.sku_code(plan.index, position + 1),
                    attributes=sku.attributes,
                    price=sku.price,
                    position=position,
                )
            )
            quantities.append(sku.quantity)
        for position, number in enumerate(plan.images):
            images.append(
                ProductImage(
                    product=product,
                    image=image_name(number),
                    thumbnail=thumbnail_name(number),
                    width=IMAGE_SIZE,
                    height=IMAGE_SIZE,
                    alt=plan.title[:120],
                    position=position,
                )
            )
    Sku.objects.bulk_create(skus, batch_size=INSERT_BATCH_SIZE)
    StockRecord.objects.bulk_create(
        [
            StockRecord(sku=sku, quantity=quantity)
            for sku, quantity in zip(skus, quantities, strict=True)
        ],
        batch_size=INSERT_BATCH_SIZE,
    )
    ProductImage.objects.bulk_create(images, batch_size=INSERT_BATCH_SIZE)
    catalogue.product_search_index_refresh(products=products)
    return len(products), len(skus)


def seed_products(
    total: int, categories: dict[str, Category], merchants: dict[str, Merchant]
) -> tuple[int, int]:
    """Create the demo products numbered below `total` that do not exist yet."""
    existing = selectors.demo_product_indices()
    missing = [index for index in range(total) if index not in existing]
    created_products = created_skus = 0
    for start in range(0, len(missing), BATCH_SIZE):
        plans = [demo_data.product_plan(index) for index in missing[start : start + BATCH_SIZE]]
        with transaction.atomic():
            products, skus = create_products(plans, categories, merchants)
        created_products += products
        created_skus += skus
    return created_products, created_skus


# --- Occasions and the people who send gifts ------------------------------------------------------


def seed_occasions(categories: dict[str, Category]) -> int:
    """The gift finder's occasions; an operator's later edits to them are kept."""
    created = 0
    for position, spec in enumerate(demo_data.OCCASIONS):
        occasion, made = Occasion.objects.get_or_create(
            slug=spec.slug,
            defaults={"name": spec.name, "name_en": spec.name_en, "position": position},
        )
        if made:
            occasion.categories.set([categories[slug] for slug in spec.categories])
            created += 1
    return created


def seed_gift_senders() -> list[User]:
    """Demo people who send gifts (no password: they never log in)."""
    emails = [demo_data.GIFT_SENDER_EMAIL.format(n) for n in range(demo_data.GIFT_SENDERS)]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    User.objects.bulk_create(
        User(email=email, name=f"送礼人{n:03d}", password=make_password(None))
        for n, email in enumerate(emails)
        if email not in existing
    )
    by_email = User.objects.in_bulk(emails, field_name="email")
    return [by_email[email] for email in emails]
