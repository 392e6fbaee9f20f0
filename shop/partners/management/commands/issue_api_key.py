"""`manage.py issue_api_key "<partner name>" [--top-up AMOUNT] [--merchant ID ...]`.

Creates the partner if needed, credits its balance, lets it manage merchants, and prints
the new key alone on the last line (so a script can take `| tail -1`). The key is shown
only now; the shop keeps its hash.
"""

import secrets
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from merchants.models import Merchant
from shop.partners import services


def _amount(text: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation as error:
        raise CommandError(f"--top-up: {text!r} is not an amount, e.g. 5000.00") from error
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise CommandError("--top-up must be more than 0 with at most two decimals.")
    return amount


class Command(BaseCommand):
    help = "Issue an API key for a partner (created if new); the key is printed once."

    def add_arguments(self, parser: object) -> None:
        parser.add_argument("partner", help="The partner's name.")
        parser.add_argument("--top-up", help="Credit this many CNY to its prepaid balance.")
        parser.add_argument(
            "--merchant",
            action="append",
            default=[],
            help="A merchant it manages: id (e.g. 3 or mer_3) or slug; repeatable.",
        )
        parser.add_argument("--label", default="", help="What the key is for.")

    def handle(self, *args: object, **options: object) -> None:
        merchants = [self._merchant(ref) for ref in options["merchant"]]
        amount = _amount(options["top_up"]) if options["top_up"] else None
        with transaction.atomic():
            partner = services.partner_get_or_create(name=options["partner"])
            if merchants:
                services.merchants_grant(partner=partner, merchants=merchants)
            if amount is not None:
                services.balance_top_up(
                    partner=partner,
                    amount=amount,
                    reference=f"cli-{secrets.token_hex(6)}",
                    note="issue_api_key --top-up",
                )
            issued = services.api_key_issue(partner=partner, label=options["label"])
        partner.refresh_from_db()
        managed = ", ".join(m.name for m in partner.merchants.all()) or "none"
        self.stderr.write(
            f"Partner {partner.name!r}: balance {partner.balance} CNY; manages {managed}.\n"
            "The key below is shown once; store it now."
        )
        self.stdout.write(issued.raw)

    def _merchant(self, ref: str) -> Merchant:
        digits = ref.removeprefix("mer_")
        is_id = digits.isascii() and digits.isdigit() and len(digits) <= 18
        found = Merchant.objects.filter(pk=int(digits)) if is_id else None
        merchant = (found or Merchant.objects.filter(slug=ref)).first()
        if merchant is None:
            raise CommandError(f"No merchant {ref!r}.")
        return merchant
