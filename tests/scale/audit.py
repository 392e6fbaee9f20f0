"""What the campaign left in the cluster's database, as one JSON line:
`python -m tests.scale.audit` (with the cluster's environment).

Per gift of the campaign's brands: its status and final events; per unclaimed gift, its
refunds (count, amount, status); per webhook event, its deliveries per endpoint. The
campaign's tests compare these with what the load did and what the receiver got.
"""

import json
import os
from collections import Counter

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
django.setup()

from django.db.models import Count, F, Q, Sum  # noqa: E402 - after django.setup()

from gifting.models import Gift, GiftEvent  # noqa: E402
from shop.orders.models import Order  # noqa: E402
from shop.partners.models import WebhookDelivery, WebhookEvent  # noqa: E402
from shop.payments.models import Refund  # noqa: E402
from tests.scale.setup_data import BRANDS  # noqa: E402

FINAL_EVENTS = [
    GiftEvent.Kind.ACCEPTED,
    GiftEvent.Kind.DECLINED,
    GiftEvent.Kind.CANCELLED,
    GiftEvent.Kind.EXPIRED,
    GiftEvent.Kind.ABANDONED,
]


def main() -> None:
    gifts = Gift.objects.filter(partner__name__in=BRANDS).annotate(
        finals=Count("events", filter=Q(events__kind__in=FINAL_EVENTS))
    )
    refunds = {
        int(subject.partition(":")[2]): (count, total, succeeded)
        for subject, count, total, succeeded in Refund.objects.filter(subject__startswith="gift:")
        .values("subject")
        .annotate(
            n=Count("pk"),
            total=Sum("amount"),
            ok=Count("pk", filter=Q(status=Refund.Status.SUCCEEDED)),
        )
        .values_list("subject", "n", "total", "ok")
    }
    unclaimed_units = refunded_units = 0
    duplicate, missing, wrong_amount, refunded_claimed = [], [], [], []
    for gift in gifts.annotate(unclaimed=F("quantity") - F("units_claimed")):
        count, total, succeeded = refunds.get(gift.pk, (0, 0, 0))
        if gift.unclaimed == 0:
            if count:
                refunded_claimed.append(gift.pk)
            continue
        unclaimed_units += gift.unclaimed
        if count > 1:
            duplicate.append(gift.pk)
        if succeeded == 0:
            missing.append(gift.pk)
            continue
        refunded_units += gift.unclaimed
        if total != gift.unit_price * gift.unclaimed:
            wrong_amount.append(gift.pk)
    deliveries = WebhookDelivery.objects.filter(event__partner__name__in=BRANDS)
    print(
        json.dumps(
            {
                "gifts": gifts.count(),
                "by_status": dict(Counter(gifts.values_list("status", flat=True))),
                "not_one_final_event": list(gifts.exclude(finals=1).values_list("pk", flat=True)),
                "expired_early": list(
                    gifts.filter(
                        events__kind=GiftEvent.Kind.EXPIRED,
                        events__created_at__lt=F("expires_at"),
                    ).values_list("pk", flat=True)
                ),
                "unclaimed_units": unclaimed_units,
                "refunded_units": refunded_units,
                "refunds_duplicate": duplicate,
                "refunds_missing": missing,
                "refunds_wrong_amount": wrong_amount,
                "refunds_on_claimed_gifts": refunded_claimed,
                "webhook_events": WebhookEvent.objects.filter(partner__name__in=BRANDS).count(),
                "deliveries": [
                    [event, endpoint, status]
                    for event, endpoint, status in deliveries.values_list(
                        "event__public_id", "endpoint_id", "status"
                    )
                ],
                "orders_paid": Order.objects.filter(status=Order.Status.PAID).count(),
            }
        )
    )


if __name__ == "__main__":
    main()
