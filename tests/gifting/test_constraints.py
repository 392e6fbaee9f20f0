"""The database refuses gifts in states the services can never produce."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from gifting.models import Gift, GiftClaim
from tests.factories import GiftClaimFactory, GiftFactory

pytestmark = pytest.mark.django_db(transaction=True)
S = Gift.Status


def test_a_live_gift_without_a_payment_is_refused() -> None:
    with pytest.raises(IntegrityError, match="gift_has_payment"):
        GiftFactory(payment=None)


def test_a_paid_gift_without_a_deadline_is_refused() -> None:
    with pytest.raises(IntegrityError, match="gift_paid_has_deadline"):
        GiftFactory(expires_at=None)


def test_a_closed_gift_without_its_finish_time_is_refused() -> None:
    with pytest.raises(IntegrityError, match="gift_finished_when_closed"):
        GiftFactory(status=S.EXPIRED, finished_at=None)


def test_an_accepted_gift_with_units_left_is_refused() -> None:
    with pytest.raises(IntegrityError, match="gift_accepted_all_claimed"):
        GiftFactory(status=S.ACCEPTED, quantity=2, units_claimed=1)


def test_refunding_claimed_units_on_the_gift_is_refused() -> None:
    gift = GiftFactory(quantity=2, units_claimed=0, unit_price=Decimal("10.00"))
    with pytest.raises(IntegrityError, match="gift_refund_only_unclaimed"):
        Gift.objects.filter(pk=gift.pk).update(units_claimed=1, refunded_amount=Decimal("20.00"))


def test_units_claimed_without_their_claims_are_refused_at_commit() -> None:
    gift = GiftFactory(quantity=2)
    with pytest.raises(IntegrityError, match="gift_claims_match_units"), transaction.atomic():
        Gift.objects.filter(pk=gift.pk).update(units_claimed=1)


def test_a_claim_without_its_unit_is_refused_at_commit() -> None:
    gift = GiftFactory(quantity=2)
    with pytest.raises(IntegrityError, match="gift_claims_match_units"):
        GiftClaimFactory(gift=gift)
    assert not GiftClaim.objects.exists()


def test_a_claim_with_its_unit_in_one_transaction_is_accepted() -> None:
    gift = GiftFactory(quantity=2)
    with transaction.atomic():
        GiftClaimFactory(gift=gift)
        Gift.objects.filter(pk=gift.pk).update(units_claimed=1)
    assert GiftClaim.objects.filter(gift=gift).count() == 1
