from decimal import Decimal

import pytest
from django.urls import reverse

from shop.orders.models import Order, RefundRequest
from tests import sandbox
from tests.orders import paid_order, place_order

pytestmark = pytest.mark.django_db


def test_my_orders_lists_only_mine(client) -> None:
    _, mine = place_order()
    place_order()
    client.force_login(mine.user)
    response = client.get(reverse("orders:list"))
    assert [o.pk for o in response.context["orders"]] == [mine.pk]


def test_another_shoppers_order_is_a_404_everywhere(client) -> None:
    _, theirs = place_order()
    _, mine = place_order()
    client.force_login(mine.user)
    assert client.get(reverse("orders:detail", args=[theirs.number])).status_code == 404
    assert client.post(reverse("orders:cancel", args=[theirs.number])).status_code == 404
    assert client.get(reverse("orders:payment", args=[theirs.payment.reference])).status_code == 404
    assert (
        client.post(reverse("orders:payment_retry", args=[theirs.payment.reference])).status_code
        == 404
    )
    assert Order.objects.get(pk=theirs.pk).status == Order.Status.PENDING_PAYMENT


def test_the_order_page_shows_the_timeline(client) -> None:
    order = paid_order(client)
    client.force_login(order.user)
    response = client.get(reverse("orders:detail", args=[order.number]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Order placed" in response.text and "Paid" in response.text
    assert "Ask for a refund" in response.text
    assert "Cancel order" not in response.text


def test_the_shopper_cancels_before_paying(client) -> None:
    _, order = place_order()
    client.force_login(order.user)
    response = client.post(
        reverse("orders:cancel", args=[order.number]), HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert "Your order was cancelled." in response.text
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED


def test_a_paid_order_cannot_be_cancelled(client) -> None:
    order = paid_order(client)
    client.force_login(order.user)
    response = client.post(
        reverse("orders:cancel", args=[order.number]), HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert "Only an order awaiting payment can be cancelled." in response.text
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "abc", "reason": "x"}, "Enter a number"),
        ({"amount": "-5", "reason": "x"}, "greater than or equal to 0.01"),
        ({"amount": "1000.00", "reason": "x"}, "at most"),
        ({"amount": "5.00", "reason": ""}, "required"),
    ],
)
def test_a_bad_refund_request_gets_a_message_and_changes_nothing(
    client, data: dict, message: str
) -> None:
    order = paid_order(client, price="100.00")
    client.force_login(order.user)
    response = client.post(
        reverse("orders:refund_request", args=[order.number]),
        data,
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert message in response.text
    assert not RefundRequest.objects.exists()


def test_a_refund_request_is_sent_to_the_shop(client) -> None:
    order = paid_order(client, price="100.00")
    client.force_login(order.user)
    response = client.post(
        reverse("orders:refund_request", args=[order.number]),
        {"amount": "40.00", "reason": "尺码不合适"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "Your refund request was sent to the shop." in response.text
    assert RefundRequest.objects.get().amount == Decimal("40.00")


def test_the_payment_page_says_paid_once_the_notification_arrived(client) -> None:
    payment, order = place_order()
    client.force_login(order.user)
    sandbox.pay(client, payment)
    response = client.get(
        reverse("orders:payment", args=[payment.reference]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "your payment arrived" in response.text
    assert 'http-equiv="refresh"' not in response.text


# --- The payment page waits for the notification, for a bounded time ----------------------


def _payment_page(client, payment, query: str = ""):
    return client.get(
        reverse("orders:payment", args=[payment.reference]) + query, HTTP_ACCEPT_LANGUAGE="en"
    )


def test_the_payment_page_refreshes_itself_every_2_seconds_while_pending(client) -> None:
    payment, order = place_order()
    client.force_login(order.user)
    response = _payment_page(client, payment)
    path = reverse("orders:payment", args=[payment.reference])
    assert f'<meta http-equiv="refresh" content="2;url={path}?waited=1">' in response.text
    assert "Waiting for the payment confirmation…" in response.text


def test_each_refresh_counts_itself(client) -> None:
    payment, order = place_order()
    client.force_login(order.user)
    response = _payment_page(client, payment, "?waited=7")
    assert "?waited=8" in response.text


@pytest.mark.parametrize("waited", ["abc", "-3", "1e3", "99999999999"])
def test_a_garbled_refresh_count_starts_the_wait_again(client, waited: str) -> None:
    payment, order = place_order()
    client.force_login(order.user)
    assert "?waited=1" in _payment_page(client, payment, f"?waited={waited}").text


def test_after_the_bounded_wait_the_page_stops_and_says_it_is_still_waiting(
    client, settings
) -> None:
    settings.PAYMENT_RETURN_WAIT_SECONDS = 60  # 30 refreshes of 2 s
    settings.SUPPORT_EMAIL = "help@shop.example"
    payment, order = place_order()
    client.force_login(order.user)
    assert "?waited=30" in _payment_page(client, payment, "?waited=29").text
    response = _payment_page(client, payment, "?waited=30")
    assert 'http-equiv="refresh"' not in response.text
    assert "Still waiting for the payment confirmation" in response.text
    path = reverse("orders:payment", args=[payment.reference])
    assert f'<a href="{path}">Reload this page</a>' in response.text
    assert f"quoting payment {payment.reference}" in response.text
    assert 'href="mailto:help@shop.example?subject=' in response.text


def test_the_payment_page_stops_refreshing_once_paid_even_mid_wait(client) -> None:
    payment, order = place_order()
    client.force_login(order.user)
    sandbox.pay(client, payment)
    response = _payment_page(client, payment, "?waited=3")
    assert "Thank you, your payment arrived" in response.text
    assert 'http-equiv="refresh"' not in response.text
    assert "Still waiting" not in response.text
    assert reverse("orders:detail", args=[order.number]) in response.text


def test_a_failed_payment_is_not_refreshed(client) -> None:
    payment, order = place_order()
    client.force_login(order.user)
    sandbox.pay(client, payment, approve=False)
    response = _payment_page(client, payment)
    assert "The payment did not go through" in response.text
    assert 'http-equiv="refresh"' not in response.text
