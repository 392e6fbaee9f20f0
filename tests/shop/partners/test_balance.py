"""The prepaid balance: a ledger of keyed movements whose sum is always the balance."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from gifting import services as gifting
from gifting.models import Gift
from shop.partners import gateway
from shop.partners.balance import InsufficientBalance, balance_move
from shop.partners.models import BalanceEntry, Partner
from shop.payments import services as payments
from shop.payments.models import Refund
from tests.factories import SkuFactory
from tests.gifts import recipient
from tests.partners import api_for

from .conftest import gift_payload, ledger_sum

K = BalanceEntry.Kind
pytestmark = pytest.mark.usefixtures("no_publish")


def _partner(balance: str = "100.00") -> Partner:
    partner, _ = api_for(Client(), "Brand", balance=balance)
    return partner


def _balance(partner: Partner) -> Decimal:
    partner.refresh_from_db()
    return partner.balance


def test_the_same_key_moves_the_balance_once(db: None) -> None:
    partner = _partner()

    first = balance_move(
        partner_id=partner.pk,
        amount=Decimal("-30.00"),
        kind=K.GIFT_CHARGE,
        idempotency_key="charge:P1",
    )
    again = balance_move(
        partner_id=partner.pk,
        amount=Decimal("-30.00"),
        kind=K.GIFT_CHARGE,
        idempotency_key="charge:P1",
    )

    assert (first.created, again.created) == (True, False)
    assert again.entry.pk == first.entry.pk
    assert _balance(partner) == Decimal("70.00") == ledger_sum(partner)


def test_a_repeated_key_moves_nothing_even_when_the_balance_could_not_cover_it(db: None) -> None:
    partner = _partner("30.00")
    balance_move(
        partner_id=partner.pk,
        amount=Decimal("-30.00"),
        kind=K.GIFT_CHARGE,
        idempotency_key="charge:P1",
    )

    again = balance_move(
        partner_id=partner.pk,
        amount=Decimal("-30.00"),
        kind=K.GIFT_CHARGE,
        idempotency_key="charge:P1",
    )

    assert not again.created
    assert _balance(partner) == Decimal("0.00") == ledger_sum(partner)


def test_a_debit_beyond_the_balance_is_refused_and_writes_nothing(db: None) -> None:
    partner = _partner("20.00")

    with pytest.raises(InsufficientBalance) as refused:
        balance_move(
            partner_id=partner.pk,
            amount=Decimal("-20.01"),
            kind=K.GIFT_CHARGE,
            idempotency_key="charge:P2",
        )

    assert (refused.value.available, refused.value.needed) == (Decimal("20.00"), Decimal("20.01"))
    assert _balance(partner) == Decimal("20.00")
    assert not BalanceEntry.objects.filter(kind=K.GIFT_CHARGE).exists()


def test_a_movement_of_zero_is_refused(db: None) -> None:
    partner = _partner()
    with pytest.raises(ValueError):
        balance_move(
            partner_id=partner.pk, amount=Decimal("0"), kind=K.REFUND, idempotency_key="refund:zero"
        )


def test_the_ledger_sums_to_the_balance_after_gifts_sent_claimed_cancelled_expired_refused(
    db: None,
) -> None:
    partner, api = api_for(Client(), "Brand", balance="100.00")
    sku = SkuFactory(price=Decimal("15.00"), stock=50)
    ids = []
    for quantity in (1, 1, 1, 2):
        response = api.post("/api/v1/gifts/", gift_payload(sku, quantity=quantity))
        assert response.status_code == 201, response.content
        ids.append(int(response.json()["id"].removeprefix("gift_")))
    claimed, cancelled, expired, group = Gift.objects.filter(pk__in=ids).order_by("pk")
    assert api.post("/api/v1/gifts/", gift_payload(sku, quantity=2)).status_code == 402  # 25 left

    gifting.gift_claim(gift=claimed, recipient=recipient(), sku_id=None, user=None)
    gifting.gift_claim(gift=group, recipient=recipient(), sku_id=None, user=None)
    gifting.gift_cancel(gift=cancelled)
    Gift.objects.filter(pk__in=[expired.pk, group.pk]).update(expires_at=timezone.now())
    assert gifting.gifts_expire_due() == 2
    payments.refunds_execute(refund_ids=list(Refund.objects.values_list("pk", flat=True)))

    # Spent: 15 (claimed) + 15 (one unit of the group gift); refunded 15 + 15 + 15.
    assert _balance(partner) == Decimal("70.00") == ledger_sum(partner)
    latest = BalanceEntry.objects.filter(partner=partner).order_by("-pk").first()
    assert latest.balance_after == partner.balance
    kinds = list(
        BalanceEntry.objects.filter(partner=partner).order_by("pk").values_list("kind", "amount")
    )
    assert kinds == [
        (K.TOP_UP, Decimal("100.00")),
        (K.GIFT_CHARGE, Decimal("-15.00")),
        (K.GIFT_CHARGE, Decimal("-15.00")),
        (K.GIFT_CHARGE, Decimal("-15.00")),
        (K.GIFT_CHARGE, Decimal("-30.00")),
        (K.REFUND, Decimal("15.00")),
        (K.REFUND, Decimal("15.00")),
        (K.REFUND, Decimal("15.00")),
    ]
    # Each charge and refund names the payment it is for.
    for entry in BalanceEntry.objects.exclude(kind=K.TOP_UP):
        assert entry.reference.startswith("P")


def test_an_expired_gifts_refund_credits_the_balance_once_even_if_executed_twice(
    db: None,
) -> None:
    partner, api = api_for(Client(), "Brand", balance="100.00")
    response = api.post("/api/v1/gifts/", gift_payload(SkuFactory(price="40.00", stock=5)))
    gift = Gift.objects.get(pk=int(response.json()["id"].removeprefix("gift_")))
    Gift.objects.filter(pk=gift.pk).update(expires_at=timezone.now())
    gifting.gifts_expire_due()
    refund = Refund.objects.get()

    # A first run reached the balance and died before settling (its answer was lost) …
    gateway.BalanceGateway().refund(
        payment_reference=gift.payment.reference,
        idempotency_key=refund.idempotency_key,
        amount=refund.amount,
        notify_url="",
        payment_amount=gift.payment.amount,
    )
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING
    # … so the refund runs again, twice (the stuck-refund sweep and a redelivered task).
    payments.refunds_execute(refund_ids=[refund.pk])
    payments.refunds_execute(refund_ids=[refund.pk])

    assert _balance(partner) == Decimal("100.00") == ledger_sum(partner)
    assert BalanceEntry.objects.filter(kind=K.REFUND).count() == 1
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    gift.refresh_from_db()
    assert gift.refunded_amount == Decimal("40.00")


def test_the_balance_gateway_refunds_a_key_once(db: None) -> None:
    partner, api = api_for(Client(), "Brand", balance="100.00")
    response = api.post("/api/v1/gifts/", gift_payload(SkuFactory(price="40.00", stock=5)))
    gift = Gift.objects.get(pk=int(response.json()["id"].removeprefix("gift_")))
    balance = gateway.BalanceGateway()

    answers = [
        balance.refund(
            payment_reference=gift.payment.reference,
            idempotency_key="k1",
            amount=Decimal("40.00"),
            notify_url="",
            payment_amount=gift.payment.amount,
        )
        for _ in range(3)
    ]

    assert {a.provider_reference for a in answers} == {answers[0].provider_reference}
    assert _balance(partner) == Decimal("100.00") == ledger_sum(partner)


def _together(count: int, work: object) -> list[object]:
    """Run `work` in `count` threads released at once, each on its own connection."""
    barrier = threading.Barrier(count)
    results: list[object] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(work())  # type: ignore[operator]
        except Exception as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_10_concurrent_movements_with_one_key_move_the_balance_once(transactional_db) -> None:
    partner = _partner()

    results = _together(
        10,
        lambda: balance_move(
            partner_id=partner.pk,
            amount=Decimal("-25.00"),
            kind=K.GIFT_CHARGE,
            idempotency_key="charge:same",
        ),
    )

    assert [type(r).__name__ for r in results] == ["Movement"] * 10, results
    assert sum(r.created for r in results) == 1
    assert _balance(partner) == Decimal("75.00") == ledger_sum(partner)


def test_10_concurrent_debits_never_overdraw_the_balance(transactional_db) -> None:
    partner = _partner("100.00")
    keys = iter(range(10))
    lock = threading.Lock()

    def debit() -> object:
        with lock:
            n = next(keys)
        return balance_move(
            partner_id=partner.pk,
            amount=Decimal("-30.00"),
            kind=K.GIFT_CHARGE,
            idempotency_key=f"charge:{n}",
        )

    results = _together(10, debit)

    assert sum(not isinstance(r, Exception) for r in results) == 3
    assert all(isinstance(r, InsufficientBalance) for r in results if isinstance(r, Exception))
    assert _balance(partner) == Decimal("10.00") == ledger_sum(partner)


def test_concurrent_runs_of_one_refund_credit_the_balance_once(transactional_db) -> None:
    partner, api = api_for(Client(), "Brand", balance="100.00")
    response = api.post("/api/v1/gifts/", gift_payload(SkuFactory(price="40.00", stock=5)))
    gift = Gift.objects.get(pk=int(response.json()["id"].removeprefix("gift_")))
    Gift.objects.filter(pk=gift.pk).update(expires_at=timezone.now())
    gifting.gifts_expire_due()
    refund = Refund.objects.get()

    results = _together(8, lambda: payments.refunds_execute(refund_ids=[refund.pk]))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert _balance(partner) == Decimal("100.00") == ledger_sum(partner)
    assert BalanceEntry.objects.filter(kind=K.REFUND).count() == 1
    gift.refresh_from_db()
    assert gift.refunded_amount == Decimal("40.00")
