"""The ledger refuses what no service writes: more refunded than paid, unsettled settles."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from shop.payments.models import Payment, Refund
from tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_refunds_adding_up_to_more_than_the_payment_are_refused_at_commit() -> None:
    payment = PaymentFactory(amount=Decimal("10.00"))
    with pytest.raises(IntegrityError, match="refunds_within_payment"), transaction.atomic():
        for n in range(2):
            Refund.objects.create(
                payment=payment, amount=Decimal("6.00"), subject="x:1", idempotency_key=f"k{n}"
            )
    assert not Refund.objects.exists()


def test_a_failed_refund_does_not_count_against_the_payment() -> None:
    payment = PaymentFactory(amount=Decimal("10.00"))
    with transaction.atomic():
        Refund.objects.create(
            payment=payment,
            amount=Decimal("10.00"),
            subject="x:1",
            idempotency_key="refused",
            status=Refund.Status.FAILED,
            completed_at=timezone.now(),
        )
        Refund.objects.create(
            payment=payment, amount=Decimal("10.00"), subject="x:1", idempotency_key="again"
        )
    assert Refund.objects.count() == 2


def test_a_succeeded_payment_without_the_providers_reference_is_refused() -> None:
    with pytest.raises(IntegrityError, match="payment_succeeded_has_evidence"):
        PaymentFactory(provider_reference=None)


def test_a_settled_refund_without_its_completion_time_is_refused() -> None:
    with pytest.raises(IntegrityError, match="refund_completed_when_settled"):
        Refund.objects.create(
            payment=PaymentFactory(),
            amount=Decimal("1.00"),
            subject="x:1",
            idempotency_key="k",
            status=Refund.Status.SUCCEEDED,
        )


def test_a_pending_payment_needs_no_evidence_yet() -> None:
    payment = PaymentFactory(status=Payment.Status.PENDING, provider_reference=None)
    assert payment.pk
