"""`manage.py seed_demo`: a browsable demo shop in one command, safe to run again.

Everything is looked up before it is created, so a second run adds nothing. Demo product
number *i* is derived from *i* alone (see `demo_data.product_plan`) and recognised by the
code of its first SKU, `DEMO-{i:06d}-1`; `--products N` therefore only creates the indices
below N that are missing, and a larger N extends the catalogue. Products are written with
`bulk_create`, one transaction per batch, so 10,000 of them take seconds, not minutes.
"""

import colorsys
import io
import random
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from PIL import Image, ImageDraw

from gifting import tokens
from gifting.models import Gift, GiftClaim
from merchants.models import Merchant
from shop.accounts import services as account_services
from shop.accounts.models import User
from shop.catalogue import demo_data, services
from shop.catalogue.demo_data import GiftPlan, ProductPlan
from shop.catalogue.models import Category, Product, ProductImage, Sku, StockRecord
from shop.core.money import quantize
from shop.discovery.models import Occasion
from shop.discovery.services import charts_recompute
from shop.orders.models import Order, OrderLine

DEFAULT_PRODUCTS = 200
BATCH_SIZE = 2000
INSERT_BATCH_SIZE = 1000
IMAGE_SIZE = 900
IMAGE_DIR = "demo"
_FIRST_SKU = re.compile(rf"^{re.escape(demo_data.SKU_CODE_PREFIX)}(\d{{6}})-1$")


def demo_products() -> QuerySet[Product]:
    """The products this command created (they, and only they, have `DEMO-` SKU codes)."""
    return Product.objects.filter(skus__code__startswith=demo_data.SKU_CODE_PREFIX).distinct()


def demo_product_indices() -> set[int]:
    """Indices of the demo products already in the database, read from their first SKU code."""
    codes = Sku.objects.filter(
        code__startswith=demo_data.SKU_CODE_PREFIX, code__endswith="-1"
    ).values_list("code", flat=True)
    return {int(match[1]) for code in codes if (match := _FIRST_SKU.match(code))}


# --- Images ---------------------------------------------------------------------------------


def image_name(number: int) -> str:
    return f"{IMAGE_DIR}/demo-{number:02d}.jpg"


def thumbnail_name(number: int) -> str:
    return f"{IMAGE_DIR}/thumbs/demo-{number:02d}.jpg"


def _rgb(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    red, green, blue = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return round(red * 255), round(green * 255), round(blue * 255)


def demo_image_bytes(number: int) -> bytes:
    """A 900×900 JPEG: a two-colour gradient with soft translucent shapes, seeded by `number`.

    Hues walk round the colour wheel so the 30 pictures look different from one another.
    """
    rng = random.Random(f"demo-image-{number}")
    size = IMAGE_SIZE
    hue = number / demo_data.IMAGE_COUNT
    light = _rgb(hue, rng.uniform(0.25, 0.45), rng.uniform(0.92, 0.99))
    deep = _rgb(hue + rng.uniform(0.06, 0.18), rng.uniform(0.55, 0.8), rng.uniform(0.65, 0.85))
    accent = _rgb(hue + 0.5, rng.uniform(0.4, 0.7), rng.uniform(0.8, 0.95))

    gradient = Image.linear_gradient("L").resize((size, size)).rotate(rng.choice((0, 90, 180, 270)))
    canvas = Image.composite(
        Image.new("RGB", (size, size), deep), Image.new("RGB", (size, size), light), gradient
    ).convert("RGBA")

    def blend(shape: str, box: tuple[int, int, int, int], colour: tuple[int, ...]) -> None:
        nonlocal canvas
        layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        if shape == "ellipse":
            draw.ellipse(box, fill=colour)
        else:
            draw.rounded_rectangle(box, radius=(box[2] - box[0]) // 5, fill=colour)
        canvas = Image.alpha_composite(canvas, layer)

    for _ in range(rng.randint(4, 7)):
        radius = rng.randint(60, 240)
        x, y = rng.randint(0, size), rng.randint(0, size)
        colour = (*rng.choice(((255, 255, 255), light, deep, accent)), rng.randint(50, 130))
        shape = "ellipse" if rng.random() < 0.6 else "rectangle"
        blend(shape, (x - radius, y - radius, x + radius, y + round(radius * 0.8)), colour)
    # A pale disc in the middle, where a product photo would put the product.
    centre = size // 2
    radius = rng.randint(220, 290)
    blend(
        "ellipse",
        (centre - radius, centre - radius, centre + radius, centre + radius),
        (255, 255, 255, 150),
    )

    out = io.BytesIO()
    canvas.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def ensure_demo_images() -> int:
    """Write the shared demo pictures and their thumbnails, only those missing; return how many.

    Products point at these few files instead of each getting its own copy, which keeps
    10,000 products to 60 files and seeding free of image encoding.
    """
    written = 0
    for number in range(demo_data.IMAGE_COUNT):
        name, thumb = image_name(number), thumbnail_name(number)
        data: bytes | None = None
        if not default_storage.exists(name):
            data = demo_image_bytes(number)
            default_storage.save(name, ContentFile(data))
            written += 1
        if not default_storage.exists(thumb):
            if data is None:
                with default_storage.open(name, "rb") as existing:
                    data = existing.read()
            default_storage.save(thumb, ContentFile(services.thumbnail_for(data)))
            written += 1
    return written


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
            },
        )
        by_slug[spec.slug] = merchant
        created += made
    return by_slug, created


def seed_users() -> int:
    """The demo shopper (with a default address) and the operator superuser.

    Passwords are set only when an account is created, so a rerun never undoes a change.
    """
    created = 0
    shopper = User.objects.filter(email=demo_data.SHOPPER_EMAIL).first()
    if shopper is None:
        shopper = account_services.user_create(
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
    from merchants.models import MerchantStaff
    from merchants.services import staff_group

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
    services.product_search_index_refresh(products=products)
    return len(products), len(skus)


def seed_products(
    total: int, categories: dict[str, Category], merchants: dict[str, Merchant]
) -> tuple[int, int]:
    """Create the demo products numbered below `total` that do not exist yet."""
    existing = demo_product_indices()
    missing = [index for index in range(total) if index not in existing]
    created_products = created_skus = 0
    for start in range(0, len(missing), BATCH_SIZE):
        plans = [demo_data.product_plan(index) for index in missing[start : start + BATCH_SIZE]]
        with transaction.atomic():
            products, skus = create_products(plans, categories, merchants)
        created_products += products
        created_skus += skus
    return created_products, created_skus


# --- Occasions and three weeks of gifts ------------------------------------------------------


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


def _giftable_skus_by_merchant() -> dict[str, list[Sku]]:
    """Each demo merchant's giftable demo products (their first SKU), in catalogue order."""
    skus = (
        Sku.objects.filter(
            code__startswith=demo_data.SKU_CODE_PREFIX,
            code__endswith="-1",
            is_active=True,
            price__lte=settings.GIFT_MAX_UNIT_PRICE,
            product__status=Product.Status.LISTED,
            product__category__giftable=True,
            product__category__parent__giftable=True,
        )
        .select_related("product__merchant", "product__category")
        .order_by("code")
    )
    by_merchant: dict[str, list[Sku]] = {}
    for sku in skus:
        by_merchant.setdefault(sku.product.merchant.slug, []).append(sku)
    return by_merchant


def _order_status(claimed_at: datetime, now: datetime, refunded: bool) -> dict[str, Any]:
    """Older parcels were delivered, recent ones shipped or still to ship."""
    age = now - claimed_at
    fields: dict[str, Any] = {"status": Order.Status.PAID}
    if age > timedelta(hours=20):
        fields.update(
            status=Order.Status.SHIPPED,
            shipped_at=claimed_at + timedelta(hours=18),
            carrier="顺丰速运",
            tracking_number=f"SF{int(claimed_at.timestamp())}",
        )
    if age > timedelta(days=3):
        fields.update(
            status=Order.Status.COMPLETED, delivered_at=claimed_at + timedelta(days=2, hours=6)
        )
    if refunded:
        fields["status"] = Order.Status.REFUNDED
    return fields


def _demo_gift(plan: GiftPlan, sku: Sku, sender: User, now: datetime) -> Gift:
    paid_at = now - timedelta(hours=plan.hours_ago)
    expires_at = paid_at + timedelta(seconds=settings.GIFT_ACCEPT_WINDOW_SECONDS)
    finished_at = {
        Gift.Status.ACCEPTED: paid_at + timedelta(hours=max(plan.claim_delays, default=0)),
        Gift.Status.DECLINED: paid_at + timedelta(hours=2),
        Gift.Status.CANCELLED: paid_at + timedelta(hours=1),
        Gift.Status.EXPIRED: expires_at,
    }.get(plan.status)
    closed = plan.status in (Gift.Status.DECLINED, Gift.Status.CANCELLED, Gift.Status.EXPIRED)
    salt = f"{demo_data.GIFT_SALT_PREFIX}{plan.index:06d}".ljust(32, "0")
    return Gift(
        sender=sender,
        sku=sku,
        quantity=plan.units,
        units_claimed=plan.claimed,
        unit_price=sku.price,
        amount=sku.price * plan.units,
        message=plan.message,
        sender_name=sender.name,
        status=plan.status,
        token_salt=salt,
        token_hash=tokens.token_hash(tokens.token_for(salt)),
        paid_at=paid_at,
        expires_at=expires_at,
        finished_at=finished_at,
        refunded_amount=sku.price * (plan.units - plan.claimed) if closed else 0,
    )


def seed_gift_history(senders: list[User], now: datetime) -> int:
    """Three weeks of gifts with their claims and orders, the ones still missing.

    Bulk inserts, then one bulk update for the auto-dated columns (claims and orders are
    back-dated to when they happened).
    """
    existing = set(
        Gift.objects.filter(token_salt__startswith=demo_data.GIFT_SALT_PREFIX).values_list(
            "token_salt", flat=True
        )
    )
    products = _giftable_skus_by_merchant()
    plans = [demo_data.gift_plan(index) for index in range(demo_data.GIFT_COUNT)]
    made: list[tuple[GiftPlan, Gift]] = []
    for plan in plans:
        choices = products.get(plan.merchant)
        gift = choices and _demo_gift(
            plan, choices[int(plan.pick * len(choices))], senders[plan.sender], now
        )
        if gift and gift.token_salt not in existing:
            made.append((plan, gift))
    with transaction.atomic():
        Gift.objects.bulk_create([g for _, g in made], batch_size=INSERT_BATCH_SIZE)
        orders, lines, claims = [], [], []
        for plan, gift in made:
            for n, (delay, refunded) in enumerate(
                zip(plan.claim_delays, plan.refunded, strict=True)
            ):
                claimed_at = gift.paid_at + timedelta(hours=delay)
                name, province, city, district = demo_data.GIFT_RECIPIENTS[
                    (plan.index + n) % len(demo_data.GIFT_RECIPIENTS)
                ]
                address = {
                    "recipient_name": name,
                    "phone": f"139{plan.index:06d}{n:02d}",
                    "province": province,
                    "city": city,
                    "district": district,
                    "street": f"幸福路 {plan.index % 200 + 1} 号",
                }
                rate = gift.sku.product.category.commission_rate
                order = Order(
                    number=f"DG{plan.index:06d}{n:02d}",
                    merchant=gift.sku.product.merchant,
                    total=gift.unit_price,
                    refunded_amount=gift.unit_price if refunded else 0,
                    commission=quantize(gift.unit_price * rate),
                    paid_at=claimed_at,
                    **_order_status(claimed_at, now, refunded),
                    **address,
                )
                orders.append(order)
                lines.append(
                    OrderLine(
                        order=order,
                        sku=gift.sku,
                        product_title=gift.sku.product.title,
                        sku_label=gift.sku.label,
                        unit_price=gift.unit_price,
                        quantity=1,
                        commission_rate=rate,
                    )
                )
                claims.append(GiftClaim(gift=gift, sku=gift.sku, order=order, **address))
        Order.objects.bulk_create(orders, batch_size=INSERT_BATCH_SIZE)
        OrderLine.objects.bulk_create(lines, batch_size=INSERT_BATCH_SIZE)
        GiftClaim.objects.bulk_create(claims, batch_size=INSERT_BATCH_SIZE)
        # auto_now_add stamped "now" on insert; put back when each thing happened.
        for _, gift in made:
            gift.created_at = gift.paid_at - timedelta(minutes=3)
        for order in orders:
            order.created_at = order.paid_at
        for claim in claims:
            claim.claimed_at = claim.order.paid_at
        Gift.objects.bulk_update([g for _, g in made], ["created_at"], batch_size=500)
        Order.objects.bulk_update(orders, ["created_at"], batch_size=500)
        GiftClaim.objects.bulk_update(claims, ["claimed_at"], batch_size=500)
    return len(made)


class Command(BaseCommand):
    help = (
        "Fill the shop with demo categories, merchants, products and two logins. "
        "Safe to run again: only what is missing is created."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--products",
            type=int,
            default=DEFAULT_PRODUCTS,
            metavar="N",
            help=(
                f"Number of demo products the catalogue should have (default {DEFAULT_PRODUCTS}). "
                "Missing ones are created; existing ones are never changed or deleted."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        total: int = options["products"]
        if not 0 <= total < 1_000_000:
            raise CommandError("--products must be between 0 and 999999.")

        files = ensure_demo_images()
        with transaction.atomic():
            categories, new_categories = seed_categories()
            merchants, new_merchants = seed_merchants()
            new_users = seed_users()
        new_products, new_skus = seed_products(total, categories, merchants)
        new_users += seed_merchant_staff(merchants)
        new_occasions = seed_occasions(categories)
        new_gifts = seed_gift_history(seed_gift_senders(), timezone.now())
        run = charts_recompute()

        demo_count = demo_products().count()
        self.stdout.write(
            f"Created {new_categories} categories, {new_merchants} merchants, "
            f"{new_products} products, {new_skus} SKUs, {new_users} users, "
            f"{files} image files."
        )
        self.stdout.write(
            f"Created {new_occasions} occasions and {new_gifts} gifts of demo gift history; "
            f"gift charts recomputed in {run.duration_ms} ms."
        )
        if demo_count > total:
            self.stdout.write(
                f"The catalogue already has {demo_count} demo products; none were removed."
            )
        self.stdout.write(
            "Catalogue now: "
            f"{Category.objects.count()} categories, {Merchant.objects.count()} merchants, "
            f"{Product.objects.count()} products ({demo_count} demo), "
            f"{Sku.objects.count()} SKUs "
            f"({StockRecord.objects.filter(quantity=0).count()} sold out)."
        )
        self.stdout.write(self.style.SUCCESS("Demo logins (passwords are set on creation only):"))
        self.stdout.write(f"  shopper   {demo_data.SHOPPER_EMAIL} / {demo_data.SHOPPER_PASSWORD}")
        self.stdout.write(
            f"  operator  {demo_data.OPERATOR_EMAIL} / {demo_data.OPERATOR_PASSWORD}"
            "  (superuser, /admin/)"
        )
        self.stdout.write(
            f"  merchant  {demo_data.MERCHANT_EMAIL} / {demo_data.MERCHANT_PASSWORD}"
            "  (Mountain Coffee's owner, /admin/)"
        )
