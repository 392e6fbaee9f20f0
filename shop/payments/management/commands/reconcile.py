"""`manage.py reconcile`: compare the payment ledger with the provider's books.

Meant for cron or a monitoring check, so the exit status is the result: 0 when both sides
agree, 1 when they differ (with every difference printed, one a line, for a person to
act on). It reads only; see `shop.payments.reconcile` for why it never repairs anything.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shop.payments.gateway import get_gateway
from shop.payments.reconcile import reconcile_report


class Command(BaseCommand):
    help = (
        "Compare payments and refunds with each gateway's records (the provider's, and "
        "partners' prepaid balances); exit 1 if they differ."
    )

    def handle(self, *args: object, **options: object) -> None:
        total = 0
        for name in [get_gateway().name, *settings.PAYMENT_GATEWAYS]:
            report = reconcile_report(name)
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
