"""`manage.py seed_demo`: a browsable demo shop in one command, safe to run again."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from merchants.models import Merchant
from shop.catalogue.models import Category, Product, Sku, StockRecord
from shop.demo import demo_data, selectors, services
from shop.demo.history import HistoryError

DEFAULT_PRODUCTS = 200


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
        parser.add_argument(
            "--gifts",
            type=int,
            default=demo_data.GIFT_COUNT,
            metavar="N",
            help=(
                f"Gifts the demo senders send in the gift history (default "
                f"{demo_data.GIFT_COUNT}; 0: no history). "
                "The history is written once, by the first run with giftable products."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        total: int = options["products"]
        if not 0 <= total < 1_000_000:
            raise CommandError("--products must be between 0 and 999999.")
        gifts: int = options["gifts"]
        if not 0 <= gifts <= demo_data.GIFT_COUNT:
            raise CommandError(f"--gifts must be between 0 and {demo_data.GIFT_COUNT}.")

        try:
            seeded = services.demo_seed(products=total, gifts=gifts)
        except HistoryError as error:
            raise CommandError(
                f"{error} The catalogue was seeded; --gifts 0 skips the history."
            ) from error

        demo_count = selectors.demo_products().count()
        self.stdout.write(
            f"Created {seeded.categories} categories, {seeded.merchants} merchants, "
            f"{seeded.products} products, {seeded.skus} SKUs, {seeded.users} users, "
            f"{seeded.image_files} image files."
        )
        self.stdout.write(
            f"Created {seeded.occasions} occasions and {seeded.gifts} gifts of demo gift "
            f"history; gift charts recomputed in {seeded.chart_ms} ms."
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
