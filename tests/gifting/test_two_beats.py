"""Two beats by an operator's mistake: every sweep is published twice, to two workers that
run them side by side, on a private broker (see tests/gifting/test_worker.py)."""

import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

from django.db.models import Sum
from django.test import Client

from gifting.models import Gift
from shop.partners.models import BalanceEntry
from shop.payments.models import Refund
from shop.webhooks import events
from tests.conftest import wait_until
from tests.factories import SkuFactory
from tests.partners import api_for
from tests.shop.partners.conftest import Receiver, gift_payload
from tests.workers import PrivateRedis, Worker, log_tail, start_beat

SENT = "Sending due task expire-gifts"
SWEPT = re.compile(r"Task gifting\.tasks\.expire_due_gifts_task\[[^\]]+\] succeeded")


def test_two_beats_sweeping_at_once_refund_each_expired_gift_once_and_send_each_webhook_once(
    private_broker: PrivateRedis, settings, tmp_path: Path
) -> None:
    """An operator's mistake: two beats publish every sweep twice, to two workers that run
    them side by side. Each expired gift is still refunded once (one Refund, one ledger
    credit) and each webhook event reaches the partner once."""
    receiver = Receiver()
    settings.WEBHOOK_ALLOW_INSECURE = True
    partner, api = api_for(Client(), "Brand", balance="1000.00")
    created = api.post(
        "/api/v1/webhook-endpoints/",
        {"url": receiver.url, "events": [events.GIFT_EXPIRED, events.GIFT_REFUNDED]},
    )
    assert created.status_code == 201, created.content
    settings.GIFT_ACCEPT_WINDOW_SECONDS = 3
    sku = SkuFactory(price=Decimal("10.00"), stock=50)
    gift_ids = []
    for n in range(12):
        sent = api.post("/api/v1/gifts/", {**gift_payload(sku), "message": f"gift {n}"})
        assert sent.status_code == 201, sent.content
        gift_ids.append(int(sent.json()["id"].removeprefix("gift_")))
    sweeps = {
        "GIFT_EXPIRY_SWEEP_SECONDS": "1",
        "WEBHOOK_SWEEP_SECONDS": "1",
        "WEBHOOK_ALLOW_INSECURE": "1",
        "WEBHOOK_RETRY_BASE_SECONDS": "1",
    }
    workers = [Worker(tmp_path, private_broker.url, **sweeps) for _ in range(2)]
    beats = []
    try:
        for n in (1, 2):
            (tmp_path / f"beat{n}").mkdir()
            beats.append(start_beat(tmp_path / f"beat{n}", private_broker.url, **sweeps))

        def settled() -> bool:
            return Refund.objects.filter(
                subject__in=[f"gift:{pk}" for pk in gift_ids], status=Refund.Status.SUCCEEDED
            ).count() == len(gift_ids) and receiver.count() >= 2 * len(gift_ids)

        assert wait_until(settled, timeout=60), [log_tail(log) for _, log in beats]
        # Both beats go on sweeping: a few more ticks of each find nothing to do again.
        for _, log in beats:
            ticks = log.read_text(errors="replace").count(SENT)
            assert wait_until(
                lambda log=log, ticks=ticks: (
                    log.read_text(errors="replace").count(SENT) >= ticks + 2
                ),
                timeout=10,
            )
        # The workers have run every sweep the beats had sent by now.
        sent = sum(log.read_text(errors="replace").count(SENT) for _, log in beats)
        assert wait_until(
            lambda: (
                sum(len(SWEPT.findall(w.log.read_text(errors="replace"))) for w in workers) >= sent
            ),
            timeout=20,
        ), [log_tail(w.log) for w in workers]

        assert set(Gift.objects.filter(pk__in=gift_ids).values_list("status", flat=True)) == {
            Gift.Status.EXPIRED
        }
        refunds = Refund.objects.filter(subject__in=[f"gift:{pk}" for pk in gift_ids])
        assert sorted(refunds.values_list("subject", flat=True)) == sorted(
            f"gift:{pk}" for pk in gift_ids
        )
        credits = BalanceEntry.objects.filter(partner=partner, kind=BalanceEntry.Kind.REFUND)
        assert credits.count() == len(gift_ids)
        assert partner.balance_entries.aggregate(total=Sum("amount"))["total"] == Decimal("1000.00")
        received = Counter((r.event["type"], r.event["id"]) for r in receiver.received())
        assert {n for n in received.values()} == {1}
        assert Counter(kind for kind, _ in received) == {
            events.GIFT_EXPIRED: len(gift_ids),
            events.GIFT_REFUNDED: len(gift_ids),
        }
    finally:
        for beat, _ in beats:
            beat.terminate()
            beat.wait(timeout=15)
        for worker in workers:
            worker.stop()
        receiver.close()
