"""Refunds: once per idempotency key, never more than was paid, and retried by the real
Celery worker (the `celery_worker` fixture) when the provider's answer times out."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from shop.cart.selectors import cart_lines_priced
from shop.orders.models import Order, OrderEvent
from shop.orders.services import (
    OrderError,
    cart_fingerprint,
    checkout_place_orders,
    refund_request_approve,
    refund_request_create,
)
from shop.payments import services as payments
from shop.payments.models import Payment, Refund
from shop.payments.services import RefundError
from shop.sandbox.models import SandboxNotification, SandboxRefund
from tests import sandbox
from tests.conftest import wait_until
from tests.factories import (
    CartFactory,
    CartLineFactory,
    MerchantFactory,
    ProductFactory,
    SkuFactory,
    UserFactory,
)
from tests.orders import ADDRESS, paid_order


@pytest.fixture(autouse=True)
def _sandbox_delivers_through_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker would POST this process's notifications to SITE_URL, where nothing of
    this test listens; the tests deliver them with `tests.sandbox.deliver` instead."""
    monkeypatch.setattr("shop.sandbox.provider.publish", lambda task, *args: True)


def _refund(order: Order, amount: str, key: str) -> Refund:
    return payments.refund_create(
        payment=order.payment,
        amount=Decimal(amount),
        subject=f"order:{order.pk}",
        idempotency_key=key,
    )


def test_a_refund_retried_by_the_worker_after_a_timeout_refunds_once(celery_worker, client) -> None:
    order = paid_order(client)
    sandbox.set_mode(timeout_requests=True)

    refund = _refund(order, "40.00", "rf-timeout")  # queued for the worker on commit

    # First attempt: the sandbox records the refund, then its answer "times out".
    assert wait_until(
        lambda: SandboxRefund.objects.filter(idempotency_key="rf-timeout").exists(), timeout=30
    )
    assert Refund.objects.get(pk=refund.pk).status == Refund.Status.PENDING
    sandbox.set_mode(timeout_requests=False)
    # The task's autoretry asks again with the same key and now gets the answer.
    assert wait_until(
        lambda: Refund.objects.get(pk=refund.pk).status == Refund.Status.SUCCEEDED, timeout=30
    )

    refund.refresh_from_db()
    at_provider = SandboxRefund.objects.get(idempotency_key="rf-timeout")  # exactly one
    assert at_provider.status == SandboxRefund.Status.SUCCEEDED
    assert at_provider.amount == Decimal("40.00")
    assert refund.attempts >= 2
    assert refund.provider_reference == at_provider.pk
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("40.00")
    assert order.status == Order.Status.PARTIALLY_REFUNDED
    assert order.events.filter(kind=OrderEvent.Kind.PARTIALLY_REFUNDED).count() == 1

    # The provider's refund.succeeded notification arriving afterwards adds nothing.
    notice = SandboxNotification.objects.get(body__contains='"rf-timeout"')
    assert sandbox.post_notification(client, notice.body, url=notice.url).status_code == 200
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("40.00")
    assert order.events.filter(kind=OrderEvent.Kind.PARTIALLY_REFUNDED).count() == 1
    assert SandboxRefund.objects.count() == 1


@pytest.mark.django_db
def test_refund_create_twice_with_one_key_makes_one_refund(
    client, django_capture_on_commit_callbacks
) -> None:
    order = paid_order(client)

    with django_capture_on_commit_callbacks() as queued:
        first = _refund(order, "30.00", "rf-once")
        second = _refund(order, "30.00", "rf-once")

    assert second.pk == first.pk
    assert Refund.objects.count() == 1
    assert len(queued) == 1  # the provider is asked once, by one task
    assert not SandboxRefund.objects.exists()  # nothing is sent before commit


@pytest.mark.django_db
def test_a_refund_that_would_exceed_what_is_left_of_the_payment_is_refused(client) -> None:
    order = paid_order(client, price="100.00")
    _refund(order, "60.00", "rf-1")

    with pytest.raises(RefundError, match=r"¥40\.00"):
        _refund(order, "50.00", "rf-2")

    assert list(Refund.objects.values_list("idempotency_key", flat=True)) == ["rf-1"]


@pytest.mark.django_db
def test_a_single_refund_larger_than_the_payment_is_refused(client) -> None:
    order = paid_order(client, price="100.00")

    with pytest.raises(RefundError, match=r"¥100\.00"):
        _refund(order, "100.01", "rf-too-much")

    assert not Refund.objects.exists()


@pytest.mark.django_db
def test_a_failed_refund_frees_its_amount_for_another(client) -> None:
    order = paid_order(client, price="100.00")
    sandbox.set_mode(fail_refunds=True)
    failed = _refund(order, "100.00", "rf-failed")
    assert payments.refund_execute(refund_id=failed.pk).status == Refund.Status.FAILED
    sandbox.set_mode(fail_refunds=False)

    again = _refund(order, "100.00", "rf-again")

    assert again.status == Refund.Status.PENDING
    assert Refund.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_refunds_of_thirty_percent_refund_at_most_the_payment(
    client, monkeypatch
) -> None:
    order = paid_order(client, price="100.00")
    queued: list[int] = []
    monkeypatch.setattr(
        "shop.payments.services.publish", lambda task, refund_id: queued.append(refund_id)
    )
    barrier = threading.Barrier(10)
    outcomes: list[object] = [None] * 10

    def refund(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = _refund(order, "30.00", f"rf-{index}")
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=refund, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    made = [o for o in outcomes if isinstance(o, Refund)]
    refused = [o for o in outcomes if isinstance(o, RefundError)]
    assert (len(made), len(refused)) == (3, 7), outcomes
    assert Refund.objects.count() == 3
    assert sum(Refund.objects.values_list("amount", flat=True)) == Decimal("90.00")
    assert sorted(queued) == sorted(r.pk for r in made)
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED


@pytest.mark.django_db
def test_a_second_refund_request_while_the_first_is_pending_cannot_refund_more_than_the_order(
    client,
) -> None:
    user = UserFactory()
    cart = CartFactory(user=user)
    for _ in range(2):  # two merchants: two ¥100.00 orders, one ¥200.00 payment
        sku = SkuFactory(
            product=ProductFactory(merchant=MerchantFactory()), price=Decimal("100.00")
        )
        CartLineFactory(cart=cart, sku=sku, quantity=1)
    payment = checkout_place_orders(
        user=user,
        cart=cart,
        address=ADDRESS,
        fingerprint=cart_fingerprint(cart_lines_priced(cart=cart)),
        language="en",
    )
    payments.payment_start(payment=payment, return_url="http://testserver/orders/")
    sandbox.pay(client, payment)
    order = Order.objects.filter(payment=payment).order_by("pk").first()
    first = refund_request_create(order=order, amount=Decimal("100.00"), reason="Broken")
    refund_request_approve(request=first)  # its refund is queued, not yet at the provider
    order.refresh_from_db()

    with pytest.raises(OrderError):
        refund_request_create(order=order, amount=Decimal("100.00"), reason="Broken")

    assert Refund.objects.filter(subject=f"order:{order.pk}").count() == 1
