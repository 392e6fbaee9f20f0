"""Past the deadline the sender and the recipient see the same truth.

The beat sweep closes a gift up to GIFT_EXPIRY_SWEEP_SECONDS after its deadline and only
then creates the refund. Until it runs, the gift is still `awaiting_recipient` in the
database, but its link no longer works: both sides are shown it expired, the refund on
its way, and the sender no longer gets a link, QR code or cancel button.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from gifting import selectors, services
from gifting.models import Gift
from shop.payments import services as payments
from shop.payments.models import Refund
from tests.gifts import link, live_gift, recipient

pytestmark = pytest.mark.django_db
S = Gift.Status


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def gift(client: Client) -> Gift:
    """A live ¥99 gift."""
    return live_gift(client, price="99.00")


def past_deadline(gift: Gift) -> Gift:
    """The deadline passed a second ago; the sweep has not run."""
    Gift.objects.filter(pk=gift.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    gift.refresh_from_db()
    return gift


def swept(gift: Gift) -> Gift:
    past_deadline(gift)
    assert services.gifts_expire_due() == 1
    gift.refresh_from_db()
    assert gift.status == Gift.Status.EXPIRED
    return gift


def refunded(gift: Gift) -> Gift:
    swept(gift)
    payments.refund_execute(refund_id=Refund.objects.get(payment=gift.payment).pk)
    gift.refresh_from_db()
    assert gift.refunded_amount == Decimal("99.00")
    return gift


def as_sender(gift: Gift) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(gift.sender)
    return client


def as_recipient() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


# --- The selector ---------------------------------------------------------------------------


def test_a_gift_before_its_deadline_is_live(gift) -> None:
    shown = selectors.gift_display_status(gift, gift.expires_at - timedelta(seconds=1))
    assert (shown.status, shown.is_live, shown.refund) == ("awaiting_recipient", True, "")


def test_a_gift_at_its_deadline_is_expired_with_its_refund_pending(gift) -> None:
    shown = selectors.gift_display_status(gift, gift.expires_at)
    assert (shown.status, shown.label, shown.is_live) == ("expired", S.EXPIRED.label, False)
    assert (shown.refund, shown.refund_amount) == ("pending", Decimal("99.00"))


def test_a_swept_gift_is_refund_pending_until_the_refund_is_done(gift) -> None:
    swept(gift)
    assert selectors.gift_display_status(gift, timezone.now()).refund == "pending"


def test_a_swept_and_refunded_gift_shows_the_refund_done(gift) -> None:
    refunded(gift)
    shown = selectors.gift_display_status(gift, timezone.now())
    assert (shown.status, shown.refund, shown.refund_amount) == (
        "expired",
        "done",
        Decimal("99.00"),
    )


def test_only_the_unclaimed_units_of_a_group_gift_are_owed_back(client) -> None:
    group = live_gift(client, price="99.00", quantity=3)
    services.gift_claim(gift=group, recipient=recipient(), sku_id=None, user=None)
    group.refresh_from_db()
    shown = selectors.gift_display_status(group, group.expires_at)
    assert (shown.status, shown.refund_amount) == ("expired", Decimal("198.00"))


def test_the_partner_status_in_sql_agrees_with_the_selector(gift) -> None:
    past_deadline(gift)
    annotated = selectors.with_public_status(Gift.objects.filter(pk=gift.pk)).get()
    assert annotated.public_status == "expired"
    assert selectors.gift_display_status(gift, timezone.now()).status == "expired"


# --- The sender's pages, before the sweep --------------------------------------------------


def test_past_the_deadline_the_sender_gets_no_link_qr_code_or_cancel_button(gift) -> None:
    past_deadline(gift)
    page = as_sender(gift).get(f"/gifts/sent/{gift.pk}/")
    assert page.status_code == 200
    assert 'id="gift-status">Expired<' in page.text
    assert link(gift) not in page.text
    assert 'id="claim-link"' not in page.text
    assert "<svg" not in page.text
    assert "Copy" not in page.text
    assert f"/gifts/sent/{gift.pk}/cancel/" not in page.text


def test_past_the_deadline_the_sender_sees_the_refund_on_its_way(gift) -> None:
    past_deadline(gift)
    page = as_sender(gift).get(f"/gifts/sent/{gift.pk}/")
    assert "Refund of ¥99.00 on its way to you." in page.text


def test_past_the_deadline_the_list_of_sent_gifts_says_expired(gift) -> None:
    past_deadline(gift)
    page = as_sender(gift).get("/gifts/sent/")
    assert "Expired</span> · refund on its way" in page.text
    assert "Waiting for the recipient" not in page.text


def test_before_the_deadline_the_sender_gets_the_link_and_the_qr_code(gift) -> None:
    page = as_sender(gift).get(f"/gifts/sent/{gift.pk}/")
    assert 'id="gift-status">Waiting for the recipient<' in page.text
    assert link(gift) in page.text and "<svg" in page.text


# --- The recipient's page, before the sweep ------------------------------------------------


def test_past_the_deadline_the_recipient_sees_expired_and_the_refund_on_its_way(gift) -> None:
    past_deadline(gift)
    page = as_recipient().get(link(gift))
    assert "This gift expired: it was not accepted in time." in page.text
    assert "The sender's money is on its way back." in page.text
    assert "Accept gift" not in page.text


def test_past_the_deadline_the_sender_opening_the_link_sees_it_expired_too(gift) -> None:
    past_deadline(gift)
    page = as_sender(gift).get(link(gift))
    assert "This gift expired: it was not accepted in time." in page.text
    assert "Share this page" not in page.text


# --- Swept and refunded ---------------------------------------------------------------------


def test_a_refunded_gift_shows_the_refund_done_to_the_sender(gift) -> None:
    refunded(gift)
    detail = as_sender(gift).get(f"/gifts/sent/{gift.pk}/")
    assert 'id="gift-status">Expired<' in detail.text
    assert "¥99.00 refunded to you." in detail.text
    assert 'id="claim-link"' not in detail.text
    assert "Expired</span> · money back" in as_sender(gift).get("/gifts/sent/").text


def test_a_refunded_gift_shows_expired_and_the_refund_done_to_the_recipient(gift) -> None:
    refunded(gift)
    page = as_recipient().get(link(gift))
    assert "This gift expired: it was not accepted in time." in page.text
    assert "The sender has had their money back." in page.text
