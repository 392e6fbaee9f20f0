from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.catalogue.models import StockRecord
from shop.core.models import JobItem
from shop.orders import services, state
from shop.orders.models import Order, OrderEvent, RefundRequest
from shop.payments import services as payments
from shop.payments.models import Refund
from tests import sandbox
from tests.orders import paid_order, place_order

pytestmark = pytest.mark.django_db


def test_a_transition_from_the_wrong_state_changes_nothing() -> None:
    _, order = place_order()
    assert state.transition(order.pk, "ship") is False
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT
    assert not OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.SHIPPED).exists()


def test_a_transition_records_its_event_once() -> None:
    _, order = place_order()
    assert state.transition(order.pk, "cancel") is True
    assert state.transition(order.pk, "cancel") is False
    assert OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.CANCELLED).count() == 1


def test_cancelling_an_unpaid_order_puts_the_stock_back() -> None:
    _, order = place_order(quantity=3, stock=10)
    sku = order.lines.get().sku
    assert StockRecord.objects.get(sku=sku).quantity == 7
    services.order_cancel(order=order)
    assert StockRecord.objects.get(sku=sku).quantity == 10
    with pytest.raises(services.OrderError):
        services.order_cancel(order=order)
    assert StockRecord.objects.get(sku=sku).quantity == 10


def test_unpaid_orders_are_cancelled_after_the_timeout_only(settings) -> None:
    settings.ORDER_PAYMENT_TIMEOUT_SECONDS = 1800
    _, old = place_order()
    _, fresh = place_order()
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=31))
    assert services.orders_cancel_unpaid() == 1
    assert Order.objects.get(pk=old.pk).status == Order.Status.CANCELLED
    assert Order.objects.get(pk=fresh.pk).status == Order.Status.PENDING_PAYMENT


def test_a_payment_arriving_after_cancellation_is_refunded(client) -> None:
    payment, order = place_order()
    services.order_cancel(order=order)
    sandbox.pay(client, payment)
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED
    refund = Refund.objects.get(payment=payment)
    assert (refund.amount, refund.subject) == (order.total, f"order:{order.pk}")
    payments.refund_execute(refund_id=refund.pk)
    assert Refund.objects.get(pk=refund.pk).status == Refund.Status.SUCCEEDED


def test_a_refund_request_approved_refunds_part_of_the_order(client) -> None:
    order = paid_order(client, quantity=2, price="50.00")
    request = services.refund_request_create(
        order=order, amount=Decimal("30.00"), reason="一件有划痕"
    )
    refund = services.refund_request_approve(request=request)
    payments.refund_execute(refund_id=refund.pk)
    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_REFUNDED
    assert order.refunded_amount == Decimal("30.00")
    assert RefundRequest.objects.get().status == RefundRequest.Status.APPROVED


def test_refunding_the_rest_makes_the_order_refunded(client) -> None:
    order = paid_order(client, quantity=1, price="80.00")
    for amount in ("30.00", "50.00"):
        request = services.refund_request_create(order=order, amount=Decimal(amount), reason="x")
        payments.refund_execute(refund_id=services.refund_request_approve(request=request).pk)
        order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert order.refunded_amount == Decimal("80.00")


def test_a_refund_request_above_what_is_left_is_refused(client) -> None:
    order = paid_order(client, price="80.00")
    with pytest.raises(services.OrderError):
        services.refund_request_create(order=order, amount=Decimal("80.01"), reason="x")
    assert not RefundRequest.objects.exists()


def test_only_one_refund_request_waits_at_a_time(client) -> None:
    order = paid_order(client)
    services.refund_request_create(order=order, amount=Decimal("10.00"), reason="x")
    with pytest.raises(services.OrderError):
        services.refund_request_create(order=order, amount=Decimal("10.00"), reason="y")
    assert RefundRequest.objects.count() == 1


def test_an_unpaid_order_cannot_ask_for_a_refund() -> None:
    _, order = place_order()
    with pytest.raises(services.OrderError):
        services.refund_request_create(order=order, amount=Decimal("1.00"), reason="x")


def test_a_refund_request_is_decided_once(client) -> None:
    order = paid_order(client)
    request = services.refund_request_create(order=order, amount=Decimal("10.00"), reason="x")
    services.refund_request_refuse(request=request, note="已发货")
    with pytest.raises(services.OrderError):
        services.refund_request_approve(request=request)
    assert not Refund.objects.exists()
    assert OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.REFUND_REFUSED).count() == 1


def test_a_failed_refund_leaves_the_order_as_it_was(client) -> None:
    order = paid_order(client)
    sandbox.set_mode(fail_refunds=True)
    request = services.refund_request_create(order=order, amount=Decimal("10.00"), reason="x")
    refund = services.refund_request_approve(request=request)
    payments.refund_execute(refund_id=refund.pk)
    assert Refund.objects.get(pk=refund.pk).status == Refund.Status.FAILED
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (Order.Status.PAID, Decimal("0.00"))


def test_record_refund_never_exceeds_the_total(client) -> None:
    order = paid_order(client, price="50.00")
    assert state.record_refund(order.pk, Decimal("50.01")) is False
    assert state.record_refund(order.pk, Decimal("50.00")) is True
    assert state.record_refund(order.pk, Decimal("0.01")) is False
    assert Order.objects.get(pk=order.pk).refunded_amount == Decimal("50.00")


def test_an_unpaid_order_that_cannot_be_cancelled_does_not_stop_the_others(
    settings, monkeypatch
) -> None:
    settings.ORDER_PAYMENT_TIMEOUT_SECONDS = 1800
    (_, broken), (_, fine) = place_order(), place_order()
    Order.objects.update(created_at=timezone.now() - timedelta(minutes=31))
    real_cancel = services.order_cancel

    def cancel(*, order: Order, note: str = "") -> None:
        if order.pk == broken.pk:
            raise RuntimeError("stock record is missing")
        real_cancel(order=order, note=note)

    monkeypatch.setattr(services, "order_cancel", cancel)

    assert services.orders_cancel_unpaid() == 1
    assert Order.objects.get(pk=fine.pk).status == Order.Status.CANCELLED
    assert Order.objects.get(pk=broken.pk).status == Order.Status.PENDING_PAYMENT
    item = JobItem.objects.get()
    assert (item.job, item.item_id) == ("orders.cancel_unpaid", broken.pk)
    assert "stock record is missing" in item.error
    assert services.orders_cancel_unpaid() == 0  # backing off: not tried again yet
