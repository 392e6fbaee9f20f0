"""`manage.py reconcile`: compare the payment ledger with the provider's books.

Meant for cron or a monitoring check, so the exit status is the result: 0 when both sides
agree, 1 when they differ (with every difference printed, one a line, for a person to
act on). It reads only; see `shop.payments.reconcile` for why it never repairs anything.

`--provider wechatpay --date 2026-12-01` compares one provider's bill for one day; without
them, every configured gateway and all it holds, except that a provider whose books are
daily bills (`daily_bills`: WeChat Pay) is compared for yesterday's, Beijing time.
"""

from datetime import date, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from shop.payments.gateway import GatewayError, UnknownGateway, get_gateway, offered_gateways
from shop.payments.reconcile import reconcile_report


class Command(BaseCommand):
    help = (
        "Compare payments and refunds with each gateway's records (the provider's, and "
        "partners' prepaid balances); exit 1 if they differ."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--provider", help="one gateway by name (default: all configured)")
        parser.add_argument(
            "--date", type=date.fromisoformat, help="YYYY-MM-DD: that day's bill only"
        )

    def handle(self, *args: object, **options: object) -> None:
        provider, day = options["provider"], options["date"]
        if provider:
            try:
                names = [get_gateway(provider).name]
            except UnknownGateway as error:
                raise CommandError(f"No payment gateway named {provider!r}.") from error
        else:
            names = [*offered_gateways(), *settings.PAYMENT_GATEWAYS]
        total = 0
        for name in names:
            on = day
            if on is None and getattr(get_gateway(name), "daily_bills", False):
                on = timezone.localdate() - timedelta(days=1)
                self.stdout.write(f"{name}: comparing the bill of {on}.")
            try:
                report = reconcile_report(name, on)
            except GatewayError as error:
                raise CommandError(
                    f"{name}: could not read the provider's records: {error}"
                ) from error
            checked = (
                f"{name}: checked {report.payments_checked} payments and "
                f"{report.refunds_checked} refunds"
            )
            for difference in report.differences:
                self.stdout.write(str(difference))
            count = len(report.differences)
            total += count
            self.stdout.write(f"{checked}: {count or 'no'} difference{'s' if count != 1 else ''}.")
        if not total:
            return
        # CommandError makes manage.py exit with status 1, which is what cron and
        # monitoring look at.
        raise CommandError("The ledger and the provider's records differ; see above.")
