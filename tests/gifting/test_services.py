"""Gift jobs and tokens: reminders once, unpaid gifts abandoned, late payments refunded,
share tokens unguessable, stored only as a hash, and shown again the same."""

import base64
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone

from gifting import services, tokens
from gifting.models import Gift, GiftEvent
from shop.catalogue.models import StockRecord
from shop.core.models import JobItem
from shop.notices import services as notices
from shop.notices.models import Notice
from shop.payments import services as payments
from shop.payments.models import Payment, Refund
from tests import sandbox
from tests.factories import SkuFactory, UserFactory
from tests.gifts import create_gift, link, live_gift, recipient, send_notices

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    """Users log in with force_login: their password hash need not be slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


HOUR = 3600


@pytest.fixture
def published(monkeypatch) -> list[tuple]:
    """Tasks the gift services queue, recorded instead of sent to the broker."""
    sent: list[tuple] = []
    monkeypatch.setattr(
        notices, "publish", lambda task, *args: sent.append((task.name, *args)) or True
    )
    return sent


def expiring_in(gift: Gift, seconds: int) -> Gift:
    Gift.objects.filter(pk=gift.pk).update(expires_at=timezone.now() + timedelta(seconds=seconds))
    gift.refresh_from_db()
    return gift


def stock(sku_id: int) -> int:
    return StockRecord.objects.get(sku_id=sku_id).quantity


# --- Reminders ---------------------------------------------------------------------------


def test_a_gift_close_to_expiry_is_reminded_once_when_the_job_runs_twice(
    client, settings, published, django_capture_on_commit_callbacks
) -> None:
    settings.GIFT_REMINDER_BEFORE_SECONDS = 2 * HOUR
    gift = expiring_in(live_gift(client), HOUR)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.gifts_send_reminders()
    with django_capture_on_commit_callbacks(execute=True):
        second = services.gifts_send_reminders()
    assert (first, second) == (1, 0)
    [reminder] = Notice.objects.filter(kind="gift_reminder")
    assert published == [("shop.notices.tasks.send_notice_task", reminder.pk)]
    assert GiftEvent.objects.filter(gift=gift, kind=GiftEvent.Kind.REMINDED).count() == 1
    gift.refresh_from_db()
    assert gift.reminder_sent_at is not None


def test_the_reminder_task_emails_the_sender_the_link(client, settings, published) -> None:
    settings.SITE_URL = "https://gifts.example"
    settings.GIFT_REMINDER_BEFORE_SECONDS = 2 * HOUR
    gift = expiring_in(
        live_gift(client, sender=UserFactory(email="amy@example.com", language="en")), HOUR
    )
    services.gifts_send_reminders()
    send_notices()
    [email] = mail.outbox
    assert email.to == ["amy@example.com"]
    assert "has not been accepted yet" in email.subject
    assert f"https://gifts.example{link(gift)}" in email.body
    assert f"https://gifts.example/gifts/sent/{gift.pk}/" in email.body


def test_a_gift_far_from_expiry_is_not_reminded(client, settings, published) -> None:
    settings.GIFT_REMINDER_BEFORE_SECONDS = 2 * HOUR
    expiring_in(live_gift(client), 3 * HOUR)
    assert services.gifts_send_reminders() == 0
    assert published == []
    assert not GiftEvent.objects.filter(kind=GiftEvent.Kind.REMINDED).exists()


@pytest.mark.parametrize("finish", ["accept", "cancel", "decline", "expire"])
def test_a_finished_gift_is_not_reminded(client, settings, published, finish: str) -> None:
    settings.GIFT_REMINDER_BEFORE_SECONDS = 2 * HOUR
    gift = expiring_in(live_gift(client), HOUR)
    if finish == "accept":
        services.gift_claim(gift=gift, recipient=recipient(), sku_id=None, user=None)
    elif finish == "cancel":
        services.gift_cancel(gift=gift)
    elif finish == "decline":
        services.gift_decline(gift=gift)
    else:
        gift = expiring_in(gift, -1)
        assert services.gifts_expire_due() == 1
    assert services.gifts_send_reminders() == 0
    assert published == []


def test_an_unpaid_gift_has_no_deadline_so_it_is_never_reminded(settings, published) -> None:
    settings.GIFT_REMINDER_BEFORE_SECONDS = 2 * HOUR
    gift = create_gift()
    with pytest.raises(IntegrityError, match="gift_paid_has_deadline"), transaction.atomic():
        Gift.objects.filter(pk=gift.pk).update(expires_at=timezone.now() + timedelta(hours=1))
    assert services.gifts_send_reminders() == 0


def test_the_reminder_task_sends_nothing_once_the_gift_was_accepted(client, published) -> None:
    gift = expiring_in(live_gift(client), HOUR)
    services.gifts_send_reminders()
    services.gift_claim(gift=gift, recipient=recipient(), sku_id=None, user=None)
    mail.outbox.clear()
    send_notices()
    assert [m.subject for m in mail.outbox if "not been accepted" in m.subject] == []


# --- Abandoned unpaid gifts ------------------------------------------------------------------


def _age(gift: Gift, seconds: int) -> None:
    Gift.objects.filter(pk=gift.pk).update(created_at=timezone.now() - timedelta(seconds=seconds))


def test_an_unpaid_gift_gives_its_stock_back_after_the_payment_timeout(settings) -> None:
    settings.ORDER_PAYMENT_TIMEOUT_SECONDS = 1800
    gift = create_gift(quantity=3, stock=10)
    assert stock(gift.sku_id) == 7
    _age(gift, 1801)
    assert services.gifts_abandon_unpaid() == 1
    gift.refresh_from_db()
    assert gift.status == Gift.Status.ABANDONED
    assert gift.finished_at is not None
    assert stock(gift.sku_id) == 10
    assert GiftEvent.objects.filter(gift=gift, kind=GiftEvent.Kind.ABANDONED).count() == 1


def test_an_unpaid_gift_keeps_its_stock_within_the_payment_timeout(settings) -> None:
    settings.ORDER_PAYMENT_TIMEOUT_SECONDS = 1800
    gift = create_gift(quantity=3, stock=10)
    _age(gift, 1700)
    assert services.gifts_abandon_unpaid() == 0
    gift.refresh_from_db()
    assert gift.status == Gift.Status.PENDING_PAYMENT
    assert stock(gift.sku_id) == 7


def test_abandoning_twice_gives_the_stock_back_once(settings) -> None:
    settings.ORDER_PAYMENT_TIMEOUT_SECONDS = 1800
    gift = create_gift(quantity=3, stock=10)
    _age(gift, 1801)
    assert (services.gifts_abandon_unpaid(), services.gifts_abandon_unpaid()) == (1, 0)
    assert stock(gift.sku_id) == 10


def test_a_paid_gift_is_never_abandoned(client, settings) -> None:
    settings.ORDER_PAYMENT_TIMEOUT_SECONDS = 1800
    gift = live_gift(client)
    _age(gift, 10 * 1800)
    assert services.gifts_abandon_unpaid() == 0
    gift.refresh_from_db()
    assert gift.status == Gift.Status.AWAITING_RECIPIENT


def test_an_abandoned_gifts_link_does_not_work(settings) -> None:
    settings.ORDER_PAYMENT_TIMEOUT_SECONDS = 1800
    gift = create_gift()
    _age(gift, 1801)
    services.gifts_abandon_unpaid()
    assert Client().get(link(gift), HTTP_ACCEPT_LANGUAGE="en").status_code == 404


def test_a_payment_arriving_after_abandonment_is_refunded_in_full(client, settings) -> None:
    settings.ORDER_PAYMENT_TIMEOUT_SECONDS = 1800
    gift = create_gift(quantity=2, price="30.00", stock=10)
    _age(gift, 1801)
    services.gifts_abandon_unpaid()
    sandbox.pay(client, gift.payment)  # the sender confirms on the provider's page, late
    gift.refresh_from_db()
    assert gift.status == Gift.Status.ABANDONED
    assert gift.payment.status == Payment.Status.SUCCEEDED
    refund = Refund.objects.get(payment=gift.payment)
    assert (refund.amount, refund.subject, refund.idempotency_key) == (
        Decimal("60.00"),
        f"gift:{gift.pk}",
        f"gift-{gift.pk}-unclaimed",
    )
    assert stock(gift.sku_id) == 10  # not taken again
    payments.refund_execute(refund_id=refund.pk)
    gift.refresh_from_db()
    assert gift.refunded_amount == Decimal("60.00")


# --- Share tokens --------------------------------------------------------------------------


def _token(gift: Gift) -> str:
    return tokens.token_for(gift.token_salt)


def test_the_token_has_at_least_128_random_bits() -> None:
    gift = create_gift()
    token = _token(gift)
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert len(raw) * 8 >= 128
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)  # safe in a URL as it is
    assert len(bytes.fromhex(gift.token_salt)) * 8 >= 128


def test_every_gift_gets_a_different_token() -> None:
    sku = SkuFactory(stock=50)
    made = {_token(create_gift(sku=sku)) for _ in range(5)}
    assert len(made) == 5


def test_only_the_tokens_hash_is_stored() -> None:
    gift = create_gift()
    token = _token(gift)
    assert gift.token_hash == tokens.token_hash(token)
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(g)::text FROM gifting_gift g WHERE id = %s", [gift.pk])
        [(row,)] = cursor.fetchall()
    assert token not in row
    pieces = {token[i : i + 8] for i in range(len(token) - 7)}
    assert [p for p in pieces if p in row] == []


def test_no_table_holds_the_token_after_the_whole_story(client) -> None:
    sender = UserFactory()
    gift = live_gift(client, sender=sender)
    token = _token(gift)
    owner = Client()
    owner.force_login(sender)
    owner.get(f"/gifts/sent/{gift.pk}/")
    Client().post(
        link(gift),
        {**recipient().__dict__, "action": "accept"},
    )
    leaks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(
                f'SELECT count(*) FROM "{table}" t WHERE t::text LIKE %s', [f"%{token}%"]
            )
            if cursor.fetchone()[0]:
                leaks.append(table)
    assert leaks == []


def test_a_database_copy_without_the_key_gives_no_working_link(settings) -> None:
    gift = create_gift()
    settings.GIFT_TOKEN_KEY = "what-an-attacker-might-guess"
    assert tokens.token_hash(tokens.token_for(gift.token_salt)) != gift.token_hash


def _shown_link(page: str) -> str:
    return re.search(r'id="claim-link" value="([^"]+)"', page).group(1)


def test_the_sender_is_shown_the_same_link_again_later(client, settings) -> None:
    settings.SITE_URL = "https://gifts.example"
    sender = UserFactory()
    gift = live_gift(client, sender=sender)
    owner = Client()
    owner.force_login(sender)
    first = _shown_link(owner.get(f"/gifts/sent/{gift.pk}/").text)
    Gift.objects.filter(pk=gift.pk).update(paid_at=timezone.now() - timedelta(hours=20))
    again = Client()
    again.force_login(sender)
    second = _shown_link(again.get(f"/gifts/sent/{gift.pk}/").text)
    assert first == second == f"https://gifts.example{link(gift)}"
    response = Client().get(first.removeprefix("https://gifts.example"))
    assert response.status_code == 200
    assert response.context["gift"] == gift


def test_a_reminder_that_fails_does_not_stop_the_others(
    client, settings, published, monkeypatch
) -> None:
    settings.GIFT_REMINDER_BEFORE_SECONDS = 2 * HOUR
    broken, fine = (expiring_in(live_gift(client), HOUR) for _ in range(2))
    real_event = services._event

    def event(gift_id: int, kind: str, note: str = "") -> None:
        if gift_id == broken.pk:
            raise RuntimeError("event table is read-only")
        real_event(gift_id, kind, note)

    monkeypatch.setattr(services, "_event", event)

    assert services.gifts_send_reminders() == 1
    assert Gift.objects.get(pk=broken.pk).reminder_sent_at is None  # rolled back, retried
    assert GiftEvent.objects.filter(gift=fine, kind=GiftEvent.Kind.REMINDED).exists()
    assert JobItem.objects.get().item_id == broken.pk
