"""Changes before shipping: a recipient's variant (once, never dearer) and address (five
times) change, answered by the merchant or by the clock; shipping waits while one is open.

"Nothing changed" means: no request row, the order's line, address and stock as they were.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from gifting import changes
from gifting.models import GiftClaim, GiftEvent
from shop.catalogue.models import StockRecord
from shop.orders import services as orders
from shop.orders.models import ChangeRequest, Order, OrderEvent
from shop.payments.models import Refund
from tests.changes import NEW_ADDRESS, accepted_claim, other_variant
from tests.factories import SkuFactory

pytestmark = pytest.mark.django_db
CR = ChangeRequest.Status


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def claim(client) -> GiftClaim:
    return accepted_claim(client, price="99.00")


def _stock(sku) -> int:
    return StockRecord.objects.get(sku=sku).quantity


def _due(request: ChangeRequest) -> None:
    """The answer's deadline has passed."""
    ChangeRequest.objects.filter(pk=request.pk).update(due_at=timezone.now() - timedelta(seconds=1))


# --- Asking for another variant ------------------------------------------------------------


def test_a_variant_change_waits_for_the_merchant_with_its_deadline(claim, settings) -> None:
    cheaper = other_variant(claim, price="79.00")
    request = changes.variant_change_request(claim=claim, sku_id=cheaper.pk)
    assert request.status == CR.PENDING
    assert request.old_sku_id == claim.sku_id and request.new_sku_id == cheaper.pk
    expected = request.created_at + timedelta(seconds=settings.GIFT_VARIANT_CHANGE_ANSWER_SECONDS)
    assert abs(request.due_at - expected) < timedelta(seconds=1)


def test_asking_for_a_variant_moves_no_stock(claim) -> None:
    cheaper = other_variant(claim, price="79.00", stock=5)
    before = _stock(claim.sku)
    changes.variant_change_request(claim=claim, sku_id=cheaper.pk)
    assert (_stock(claim.sku), _stock(cheaper)) == (before, 5)


def test_a_dearer_variant_is_refused_and_nothing_is_written(claim) -> None:
    dearer = other_variant(claim, price="120.00")
    with pytest.raises(changes.ChangeInvalid, match="costs no more than the gift"):
        changes.variant_change_request(claim=claim, sku_id=dearer.pk)
    assert not ChangeRequest.objects.exists()


def test_a_variant_of_another_product_is_refused(claim) -> None:
    stranger = SkuFactory(price=Decimal("10.00"))
    with pytest.raises(changes.ChangeInvalid, match="other variants offered"):
        changes.variant_change_request(claim=claim, sku_id=stranger.pk)
    assert not ChangeRequest.objects.exists()


def test_a_second_variant_change_is_refused_even_after_a_rejection(claim) -> None:
    first = other_variant(claim, price="79.00")
    second = other_variant(claim, price="89.00")
    request = changes.variant_change_request(claim=claim, sku_id=first.pk)
    changes.change_reject(request=request)
    with pytest.raises(changes.ChangeError, match="changed only once"):
        changes.variant_change_request(claim=claim, sku_id=second.pk)
    assert ChangeRequest.objects.count() == 1


def test_only_the_dearer_variants_are_left_out_of_the_offer(claim) -> None:
    cheaper = other_variant(claim, price="79.00")
    other_variant(claim, price="120.00")
    offer = changes.change_offer(claim)
    assert [sku.pk for sku in offer.variants] == [cheaper.pk]


# --- Answering a variant change -------------------------------------------------------------


def test_an_approved_cheaper_variant_ships_instead_and_moves_one_unit_of_stock(claim) -> None:
    cheaper = other_variant(claim, price="79.00", stock=5)
    old_before = _stock(claim.sku)
    request = changes.variant_change_request(claim=claim, sku_id=cheaper.pk)
    changes.change_approve(request=request)
    line = claim.order.lines.get()
    assert (line.sku_id, line.unit_price) == (cheaper.pk, Decimal("79.00"))
    assert GiftClaim.objects.get(pk=claim.pk).sku_id == cheaper.pk
    assert (_stock(claim.sku), _stock(cheaper)) == (old_before + 1, 4)


def test_an_approved_cheaper_variant_refunds_the_difference_to_the_senders_payment(claim) -> None:
    cheaper = other_variant(claim, price="79.00")
    request = changes.variant_change_request(claim=claim, sku_id=cheaper.pk)
    changes.change_approve(request=request)
    refund = Refund.objects.get(idempotency_key=changes.refund_key(request.pk))
    assert refund.amount == Decimal("20.00")
    assert refund.payment_id == claim.gift.payment_id
    assert refund.subject == f"order:{claim.order_id}"


def test_approving_twice_refunds_the_difference_once(claim) -> None:
    cheaper = other_variant(claim, price="79.00")
    request = changes.variant_change_request(claim=claim, sku_id=cheaper.pk)
    changes.change_approve(request=request)
    with pytest.raises(changes.ChangeError, match="already answered"):
        changes.change_approve(request=request)
    assert Refund.objects.filter(payment=claim.gift.payment).count() == 1


def test_a_same_price_variant_refunds_nothing(claim) -> None:
    same = other_variant(claim, price="99.00")
    changes.change_approve(request=changes.variant_change_request(claim=claim, sku_id=same.pk))
    assert not Refund.objects.filter(payment=claim.gift.payment).exists()


def test_an_approved_variant_change_goes_on_the_gifts_timeline(claim) -> None:
    cheaper = other_variant(claim, price="79.00")
    changes.change_approve(request=changes.variant_change_request(claim=claim, sku_id=cheaper.pk))
    event = GiftEvent.objects.get(gift=claim.gift, kind=GiftEvent.Kind.VARIANT_CHANGED)
    assert "¥20.00" in event.note


def test_a_rejected_variant_change_moves_no_stock_and_refunds_nothing(claim) -> None:
    cheaper = other_variant(claim, price="79.00", stock=5)
    old_before = _stock(claim.sku)
    changes.change_reject(request=changes.variant_change_request(claim=claim, sku_id=cheaper.pk))
    assert (_stock(claim.sku), _stock(cheaper)) == (old_before, 5)
    assert claim.order.lines.get().sku_id == claim.sku_id
    assert not Refund.objects.filter(payment=claim.gift.payment).exists()


def test_approving_a_variant_that_sold_out_is_refused_and_the_request_stays_open(claim) -> None:
    cheaper = other_variant(claim, price="79.00", stock=1)
    request = changes.variant_change_request(claim=claim, sku_id=cheaper.pk)
    StockRecord.objects.filter(sku=cheaper).update(quantity=0)
    with pytest.raises(changes.ChangeError, match="sold out"):
        changes.change_approve(request=request)
    request.refresh_from_db()
    assert request.status == CR.PENDING
    assert claim.order.lines.get().sku_id == claim.sku_id


# --- Shipping waits -------------------------------------------------------------------------


def test_a_pending_request_blocks_shipping(claim) -> None:
    cheaper = other_variant(claim, price="79.00")
    changes.variant_change_request(claim=claim, sku_id=cheaper.pk)
    with pytest.raises(orders.ChangePending, match="before shipping"):
        orders.order_ship(order=claim.order, carrier="SF", tracking_number="SF1")
    assert Order.objects.get(pk=claim.order_id).status == Order.Status.PAID


def test_an_answered_request_lets_the_order_ship(claim) -> None:
    cheaper = other_variant(claim, price="79.00")
    changes.change_reject(request=changes.variant_change_request(claim=claim, sku_id=cheaper.pk))
    orders.order_ship(order=claim.order, carrier="SF", tracking_number="SF1")
    assert Order.objects.get(pk=claim.order_id).status == Order.Status.SHIPPED


def test_nothing_can_be_asked_once_the_order_shipped(claim) -> None:
    cheaper = other_variant(claim, price="79.00")
    orders.order_ship(order=claim.order, carrier="SF", tracking_number="SF1")
    with pytest.raises(changes.ChangeError, match="parcel has left"):
        changes.variant_change_request(claim=claim, sku_id=cheaper.pk)
    with pytest.raises(changes.ChangeError, match="parcel has left"):
        changes.address_change_request(claim=claim, address=NEW_ADDRESS)
    assert not ChangeRequest.objects.exists()


def test_one_change_at_a_time(claim) -> None:
    cheaper = other_variant(claim, price="79.00")
    changes.address_change_request(claim=claim, address=NEW_ADDRESS)
    with pytest.raises(changes.ChangeError, match="already waiting"):
        changes.variant_change_request(claim=claim, sku_id=cheaper.pk)
    assert ChangeRequest.objects.count() == 1


# --- Address changes ------------------------------------------------------------------------


def test_an_approved_address_change_moves_the_parcel_and_keeps_the_old_address(claim) -> None:
    old_street = claim.order.street
    request = changes.address_change_request(claim=claim, address=NEW_ADDRESS)
    changes.change_approve(request=request)
    order = Order.objects.get(pk=claim.order_id)
    assert (order.recipient_name, order.street) == ("王小丽", "中山路 8 号")
    assert GiftClaim.objects.get(pk=claim.pk).street == "中山路 8 号"
    request.refresh_from_db()
    assert request.old_address["street"] == old_street


def test_the_sixth_address_change_is_refused(claim) -> None:
    for n in range(5):
        address = {**NEW_ADDRESS, "street": f"中山路 {n} 号"}
        changes.change_approve(request=changes.address_change_request(claim=claim, address=address))
    with pytest.raises(changes.ChangeError, match="at most 5 times"):
        changes.address_change_request(claim=claim, address={**NEW_ADDRESS, "street": "六"})
    assert ChangeRequest.objects.count() == 5


def test_a_rejected_address_change_does_not_count_against_the_limit(claim, settings) -> None:
    settings.GIFT_ADDRESS_CHANGE_LIMIT = 1
    changes.change_reject(request=changes.address_change_request(claim=claim, address=NEW_ADDRESS))
    changes.address_change_request(claim=claim, address=NEW_ADDRESS)
    assert ChangeRequest.objects.filter(status=CR.PENDING).count() == 1


def test_an_incomplete_address_is_refused_and_nothing_is_written(claim) -> None:
    with pytest.raises(changes.ChangeInvalid, match="whole new address"):
        changes.address_change_request(claim=claim, address={**NEW_ADDRESS, "street": " "})
    assert not ChangeRequest.objects.exists()


def test_the_same_address_is_refused(claim) -> None:
    same = {f: getattr(claim.order, f) for f in orders.ADDRESS_FIELDS}
    with pytest.raises(changes.ChangeInvalid, match="already where the parcel goes"):
        changes.address_change_request(claim=claim, address=same)


# --- The clock ------------------------------------------------------------------------------


def test_an_unanswered_variant_change_expires_and_nothing_moves(claim) -> None:
    cheaper = other_variant(claim, price="79.00", stock=5)
    request = changes.variant_change_request(claim=claim, sku_id=cheaper.pk)
    _due(request)
    assert changes.changes_resolve_due() == 1
    request.refresh_from_db()
    assert (request.status, request.by_timeout) == (CR.EXPIRED, True)
    assert _stock(cheaper) == 5
    assert not Refund.objects.filter(payment=claim.gift.payment).exists()


def test_an_unanswered_address_change_is_approved(claim) -> None:
    request = changes.address_change_request(claim=claim, address=NEW_ADDRESS)
    _due(request)
    changes.changes_resolve_due()
    request.refresh_from_db()
    assert (request.status, request.by_timeout) == (CR.APPROVED, True)
    assert Order.objects.get(pk=claim.order_id).street == NEW_ADDRESS["street"]


def test_the_clock_leaves_a_request_not_yet_due(claim) -> None:
    changes.address_change_request(claim=claim, address=NEW_ADDRESS)
    assert changes.changes_resolve_due() == 0
    assert ChangeRequest.objects.get().status == CR.PENDING


def test_a_due_request_that_fails_does_not_stop_the_others(client, claim) -> None:
    sold_out = other_variant(claim, price="79.00", stock=1)
    first = changes.variant_change_request(claim=claim, sku_id=sold_out.pk)
    other = accepted_claim(client)
    second = changes.address_change_request(claim=other, address=NEW_ADDRESS)
    _due(first)
    _due(second)
    # A variant change expires without touching stock; break the address one instead.
    ChangeRequest.objects.filter(pk=second.pk).update(new_address={"no_such_field": "x"})
    assert changes.changes_resolve_due() == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (CR.EXPIRED, CR.PENDING)


def test_each_answer_goes_on_the_orders_timeline(claim) -> None:
    request = changes.address_change_request(claim=claim, address=NEW_ADDRESS)
    changes.change_reject(request=request, note="太远了")
    kinds = list(claim.order.events.values_list("kind", flat=True))
    assert kinds[-2:] == [OrderEvent.Kind.CHANGE_REQUESTED, OrderEvent.Kind.CHANGE_REJECTED]
    request.refresh_from_db()
    assert request.decision_note == "太远了"
