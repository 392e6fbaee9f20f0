"""No gift stops the expiry sweep: bad rows are set aside, the rest expire and are refunded."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from gifting import services
from gifting.models import Gift
from shop.core.models import JobItem
from shop.core.tasks import publishing_off
from shop.payments import services as payments
from shop.payments.models import Refund
from shop.sandbox.models import SandboxCharge, SandboxRefund
from tests.conftest import wait_until
from tests.factories import SkuFactory, UserFactory
from tests.gifts import due_gifts

S = Gift.Status


@pytest.fixture
def no_worker() -> Iterator[None]:
    """Tests that only sweep publish nothing: the suite's shared worker must not refund
    their rows while they look, nor while the database is flushed after them."""
    with publishing_off():
        yield


def _refunded_outside_the_ledger(gift: Gift) -> None:
    """The merchant refunded the whole charge in the provider's own dashboard."""
    charge = SandboxCharge.objects.get(merchant_reference=gift.payment.reference)
    SandboxRefund.objects.create(
        id=f"re_manual{gift.pk}",
        charge=charge,
        idempotency_key=f"dashboard-{gift.pk}",
        amount=charge.amount,
        status=SandboxRefund.Status.SUCCEEDED,
    )


def _already_refunded_in_the_ledger(gift: Gift) -> None:
    """Its payment was refunded in full for another reason before the deadline."""
    payments.refund_create(
        payment=gift.payment,
        amount=gift.payment.amount,
        subject=f"payment:{gift.payment.pk}",
        idempotency_key=f"manual-{gift.pk}",
        reason="Refunded by an operator",
    )


@pytest.mark.django_db(transaction=True)
def test_among_a_thousand_due_gifts_the_few_bad_ones_never_stop_the_others(
    celery_worker, settings
) -> None:
    settings.JOB_RETRY_BASE_SECONDS = 3600
    skus = [SkuFactory(price=Decimal("10.00"), stock=1000) for _ in range(4)]
    gifts = due_gifts(skus, 250)
    refused_by_provider, over_refunded = gifts[10], gifts[500]
    _refunded_outside_the_ledger(refused_by_provider)
    _already_refunded_in_the_ledger(over_refunded)

    assert services.gifts_expire_due() == 999

    def settled() -> bool:
        return not Refund.objects.filter(status=Refund.Status.PENDING).exists()

    assert wait_until(settled, timeout=60)
    good = [g.pk for g in gifts if g not in (refused_by_provider, over_refunded)]
    assert Gift.objects.filter(pk__in=good, status=S.EXPIRED).count() == 998
    assert Gift.objects.filter(pk__in=good, refunded_amount=Decimal("10.00")).count() == 998
    assert Gift.objects.get(pk=over_refunded.pk).status == S.AWAITING_RECIPIENT
    refused = Refund.objects.get(idempotency_key=services.refund_key(refused_by_provider.pk))
    assert refused.status == Refund.Status.FAILED
    assert {(i.job, i.item_id, i.status) for i in JobItem.objects.all()} == {
        ("gifting.expire", over_refunded.pk, JobItem.Status.RETRYING),
        ("payments.refund", refused.pk, JobItem.Status.PARKED),
    }
    error = JobItem.objects.get(job="gifting.expire").error
    assert "RefundError" in error and "¥0.00" in error  # at most ¥0.00 can still be refunded


@pytest.mark.django_db(transaction=True)
def test_a_gift_the_sweep_cannot_expire_is_skipped_until_its_retry_then_parked(
    settings, no_worker
) -> None:
    settings.JOB_MAX_ATTEMPTS = 2
    settings.JOB_RETRY_BASE_SECONDS = 0
    bad, good = due_gifts([SkuFactory(price=Decimal("10.00"), stock=5)], 2)
    _already_refunded_in_the_ledger(bad)

    assert services.gifts_expire_due() == 1
    assert JobItem.objects.get().attempts == 1
    assert services.gifts_expire_due() == 0
    item = JobItem.objects.get()
    assert (item.attempts, item.status, item.retry_at) == (2, JobItem.Status.PARKED, None)
    assert services.gifts_expire_due() == 0  # parked: left for an operator
    assert JobItem.objects.get().attempts == 2
    assert Gift.objects.get(pk=good.pk).status == S.EXPIRED


@pytest.mark.django_db(transaction=True)
def test_a_gift_that_was_set_aside_and_then_expires_is_forgotten(settings, no_worker) -> None:
    settings.JOB_RETRY_BASE_SECONDS = 0
    (gift,) = due_gifts([SkuFactory(price=Decimal("10.00"), stock=5)], 1)
    _already_refunded_in_the_ledger(gift)
    services.gifts_expire_due()
    Refund.objects.filter(idempotency_key=f"manual-{gift.pk}").update(
        status=Refund.Status.FAILED, completed_at=gift.paid_at
    )

    assert services.gifts_expire_due() == 1
    assert not JobItem.objects.filter(job="gifting.expire").exists()


@pytest.mark.django_db(transaction=True)
def test_operators_see_the_set_aside_gift_with_its_error_and_can_retry_it(
    settings, no_worker
) -> None:
    settings.JOB_RETRY_BASE_SECONDS = 3600
    (gift,) = due_gifts([SkuFactory(price=Decimal("10.00"), stock=5)], 1)
    _already_refunded_in_the_ledger(gift)
    with translation.override(settings.LANGUAGE_CODE):  # a worker's: the site's default
        services.gifts_expire_due()
    operator = Client()
    operator.force_login(UserFactory(is_staff=True, is_superuser=True))

    page = operator.get(reverse("admin:core_jobitem_changelist"))
    assert page.status_code == 200
    assert "RefundError: 最多还可退款 ¥0.00。" in page.text
    assert reverse("admin:gifting_gift_change", args=[gift.pk]) in page.text

    item = JobItem.objects.get()
    retried = operator.post(
        reverse("admin:core_jobitem_changelist"),
        {"action": "retry_now", "_selected_action": [item.pk]},
    )
    assert retried.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.attempts) == (JobItem.Status.RETRYING, 1)
    assert services.gifts_expire_due() == 0  # tried again at once, and fails again
    assert JobItem.objects.get().attempts == 2


@pytest.mark.django_db
def test_readyz_counts_the_parked_items(client, settings, no_worker) -> None:
    settings.JOB_MAX_ATTEMPTS = 1
    (gift,) = due_gifts([SkuFactory(price=Decimal("10.00"), stock=5)], 1)
    _already_refunded_in_the_ledger(gift)
    services.gifts_expire_due()

    body = client.get("/readyz").json()
    assert body["parked_job_items"] == 1
