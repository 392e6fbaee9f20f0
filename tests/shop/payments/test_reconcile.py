"""Reconciliation of the ledger with the sandbox provider's books, and `manage.py reconcile`.

Money is made to move through the real services (checkout, payment start, the sandbox's
hosted page and notifications, refund execution); differences are then seeded by writing
to one side's books only, as a lost notification or a bug would.
"""

import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from shop.cart.selectors import cart_lines_priced
from shop.orders.models import Order
from shop.orders.services import cart_fingerprint, checkout_place_orders
from shop.payments import services as payments
from shop.payments.gateway import GatewayTimeout
from shop.payments.models import Payment, Refund
from shop.payments.reconcile import Difference, Kind, reconcile, reconcile_report
from shop.sandbox import provider
from shop.sandbox.models import SandboxCharge, SandboxRefund
from tests import sandbox
from tests.conftest import ROOT
from tests.factories import CartFactory, CartLineFactory, SkuFactory, UserFactory
from tests.orders import ADDRESS

pytestmark = pytest.mark.django_db


def _started_payment(price: Decimal = Decimal("100.00")) -> Payment:
    """A placed order whose payment is open at the provider (the shopper has not paid)."""
    user = UserFactory()
    cart = CartFactory(user=user)
    CartLineFactory(cart=cart, sku=SkuFactory(price=price, stock=10), quantity=1)
    payment = checkout_place_orders(
        user=user,
        cart=cart,
        address=ADDRESS,
        fingerprint=cart_fingerprint(cart_lines_priced(cart=cart)),
        language="en",
    )
    payments.payment_start(payment=payment, return_url="http://testserver/orders/")
    return payment


def _paid_payment(client, price: Decimal = Decimal("100.00")) -> Payment:
    payment = _started_payment(price)
    sandbox.pay(client, payment)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    return payment


def _refund(payment: Payment, amount: str, key: str) -> Refund:
    """A refund through the ledger and executed at the provider, as the worker would."""
    order = Order.objects.get(payment=payment)
    refund = payments.refund_create(
        payment=payment, amount=Decimal(amount), subject=f"order:{order.pk}", idempotency_key=key
    )
    return payments.refund_execute(refund_id=refund.pk)


def test_a_clean_ledger_reports_no_differences(client) -> None:
    paid = _paid_payment(client)
    assert _refund(paid, "30.00", "rf-done").status == Refund.Status.SUCCEEDED
    sandbox.set_mode(fail_refunds=True)
    assert _refund(paid, "20.00", "rf-failed").status == Refund.Status.FAILED
    sandbox.set_mode(fail_refunds=False)
    payments.refund_create(
        payment=paid, amount=Decimal("10.00"), subject="order:0", idempotency_key="rf-queued"
    )
    _started_payment()  # open at the provider, pending here
    declined = _started_payment()
    sandbox.pay(client, declined, approve=False)
    sandbox.deliver(client)  # the refund notifications arrive too

    report = reconcile_report()

    assert report.differences == []
    assert (report.payments_checked, report.refunds_checked) == (1, 3)


def test_a_provider_only_refund_and_a_ledger_only_refund_are_exactly_the_two_differences(
    client,
) -> None:
    payment = _paid_payment(client)
    SandboxRefund.objects.create(
        id="re_provider_only",
        charge=SandboxCharge.objects.get(merchant_reference=payment.reference),
        idempotency_key="provider-only",
        amount=Decimal("15.00"),
        status=SandboxRefund.Status.SUCCEEDED,
    )
    Refund.objects.create(
        payment=payment,
        subject="order:0",
        amount=Decimal("25.00"),
        idempotency_key="ledger-only",
        status=Refund.Status.SUCCEEDED,
        completed_at=timezone.now(),
    )

    assert reconcile() == [
        Difference(
            Kind.REFUND_NOT_REFUNDED_AT_PROVIDER,
            "ledger-only",
            "succeeded ¥25.00",
            None,
            "Our ledger has ¥25.00 refunded but the provider has no such refund.",
        ),
        Difference(
            Kind.REFUND_UNKNOWN_HERE,
            "provider-only",
            None,
            "succeeded ¥15.00",
            "The provider has a succeeded refund of ¥15.00 that our ledger does not know.",
        ),
    ]


def test_a_payment_amount_that_differs_from_the_providers_is_reported(client) -> None:
    payment = _paid_payment(client, Decimal("100.00"))
    SandboxCharge.objects.filter(merchant_reference=payment.reference).update(
        amount=Decimal("90.00")
    )

    assert reconcile() == [
        Difference(
            Kind.PAYMENT_AMOUNT_MISMATCH,
            payment.reference,
            "succeeded ¥100.00",
            "succeeded ¥90.00",
            "Our ledger has ¥100.00 but the provider has ¥90.00.",
        )
    ]


def test_a_refund_amount_that_differs_from_the_providers_is_reported(client) -> None:
    payment = _paid_payment(client)
    _refund(payment, "40.00", "rf-1")
    SandboxRefund.objects.filter(idempotency_key="rf-1").update(amount=Decimal("4.00"))

    assert [(d.kind, d.reference, d.ours, d.theirs) for d in reconcile()] == [
        (Kind.REFUND_AMOUNT_MISMATCH, "rf-1", "succeeded ¥40.00", "succeeded ¥4.00")
    ]


def test_a_payment_the_provider_took_but_we_do_not_have_as_paid_is_reported(client) -> None:
    payment = _started_payment(Decimal("58.50"))
    charge = SandboxCharge.objects.get(merchant_reference=payment.reference)
    provider.charge_complete(charge_id=charge.pk, approve=True)  # its notification never arrives

    assert reconcile() == [
        Difference(
            Kind.PAYMENT_NOT_PAID_HERE,
            payment.reference,
            "pending ¥58.50",
            "succeeded ¥58.50",
            "The provider took ¥58.50 but our ledger has it pending.",
        )
    ]
    assert Payment.objects.get().status == Payment.Status.PENDING  # reported, not repaired


def test_a_payment_we_have_as_paid_that_the_provider_declined_is_reported(client) -> None:
    payment = _paid_payment(client)
    SandboxCharge.objects.filter(merchant_reference=payment.reference).update(
        status=SandboxCharge.Status.DECLINED
    )

    assert reconcile() == [
        Difference(
            Kind.PAYMENT_NOT_PAID_AT_PROVIDER,
            payment.reference,
            "succeeded ¥100.00",
            "failed ¥100.00",  # the gateway interface's name for a declined charge
            "Our ledger has ¥100.00 paid but the provider has the payment failed.",
        )
    ]


def test_a_refund_we_recorded_as_failed_that_the_provider_made_is_reported(client) -> None:
    payment = _paid_payment(client)
    _refund(payment, "40.00", "rf-1")
    Refund.objects.filter(idempotency_key="rf-1").update(status=Refund.Status.FAILED)

    assert [(d.kind, d.reference, d.ours, d.theirs) for d in reconcile()] == [
        (Kind.REFUND_FAILED_HERE, "rf-1", "failed ¥40.00", "succeeded ¥40.00")
    ]


def _refund_whose_answer_was_lost(payment: Payment, key: str) -> Refund:
    """The provider refunds, then the answer times out: the ledger row stays pending."""
    order = Order.objects.get(payment=payment)
    refund = payments.refund_create(
        payment=payment, amount=Decimal("40.00"), subject=f"order:{order.pk}", idempotency_key=key
    )
    sandbox.set_mode(timeout_requests=True)
    with pytest.raises(GatewayTimeout):
        payments.refund_execute(refund_id=refund.pk)
    sandbox.set_mode(timeout_requests=False)
    assert SandboxRefund.objects.get(idempotency_key=key).status == SandboxRefund.Status.SUCCEEDED
    return refund


def test_a_refund_still_pending_ten_minutes_after_the_provider_settled_it_is_reported(
    client,
) -> None:
    payment = _paid_payment(client)
    refund = _refund_whose_answer_was_lost(payment, "rf-lost")
    Refund.objects.filter(pk=refund.pk).update(created_at=timezone.now() - timedelta(minutes=11))

    assert reconcile() == [
        Difference(
            Kind.REFUND_STILL_PENDING_HERE,
            "rf-lost",
            "pending ¥40.00",
            "succeeded ¥40.00",
            "The provider already settled this refund as succeeded but our ledger still has "
            "it pending after 11 minutes.",
        )
    ]
    assert Refund.objects.get(pk=refund.pk).status == Refund.Status.PENDING


def test_a_refund_pending_for_a_minute_that_the_provider_settled_is_not_reported_yet(
    client,
) -> None:
    payment = _paid_payment(client)
    refund = _refund_whose_answer_was_lost(payment, "rf-in-flight")
    Refund.objects.filter(pk=refund.pk).update(created_at=timezone.now() - timedelta(minutes=1))

    assert reconcile() == []


def test_refunds_adding_up_to_more_than_the_payment_are_reported(client) -> None:
    # Refunds written around refund_create's guard and the database's trigger, as a bulk
    # load that skipped triggers would (the ALTER is rolled back with the test).
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE payments_refund DISABLE TRIGGER refunds_within_payment")
    payment = _paid_payment(client, Decimal("100.00"))
    _refund(payment, "70.00", "rf-done")
    # Not sent to the provider yet.
    Refund.objects.create(
        payment=payment, subject="order:0", amount=Decimal("50.00"), idempotency_key="rf-extra"
    )

    assert reconcile() == [
        Difference(
            Kind.OVER_REFUNDED,
            payment.reference,
            "paid ¥100.00, refunds ¥120.00",
            None,
            "Refunds of ¥120.00 (¥70.00 refunded, ¥50.00 pending) exceed the ¥100.00 paid.",
        )
    ]


def _manage_reconcile() -> subprocess.CompletedProcess:
    """`manage.py reconcile` in its own process, on the test database."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "reconcile"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.django_db(transaction=True)
def test_the_command_says_there_are_no_differences_and_exits_0(client) -> None:
    payment = _paid_payment(client)
    _refund(payment, "30.00", "rf-done")

    result = _manage_reconcile()

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "sandbox: checked 1 payments and 1 refunds: no differences.",
        "balance: checked 0 payments and 0 refunds: no differences.",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_command_lists_each_difference_and_exits_1(client) -> None:
    payment = _paid_payment(client)
    SandboxCharge.objects.filter(merchant_reference=payment.reference).update(
        amount=Decimal("90.00")
    )
    Refund.objects.create(
        payment=payment,
        subject="order:0",
        amount=Decimal("25.00"),
        idempotency_key="ledger-only",
        status=Refund.Status.SUCCEEDED,
        completed_at=timezone.now(),
    )

    result = _manage_reconcile()

    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"payment_amount_mismatch {payment.reference}: Our ledger has ¥100.00 but the provider "
        "has ¥90.00. (ours: succeeded ¥100.00; provider: succeeded ¥90.00)",
        "refund_not_refunded_at_provider ledger-only: Our ledger has ¥25.00 refunded but the "
        "provider has no such refund. (ours: succeeded ¥25.00; provider: none)",
        "sandbox: checked 1 payments and 1 refunds: 2 differences.",
        "balance: checked 0 payments and 0 refunds: no differences.",
    ]
    assert "CommandError: The ledger and the provider's records differ" in result.stderr
