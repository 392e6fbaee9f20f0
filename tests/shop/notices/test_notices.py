"""Notices: a row per key, sent once by its channel, retried with backoff, then parked."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from shop.notices import channels, selectors, services
from shop.notices.models import Notice
from tests.factories import UserFactory

S = Notice.Status
CONTEXT = {"product": "手冲咖啡套装", "gift_url": "https://gifts.example/gifts/sent/1/"}


@pytest.fixture
def published(monkeypatch) -> list[int]:
    sent: list[int] = []
    monkeypatch.setattr(services, "publish", lambda task, pk: sent.append(pk) or True)
    return sent


def send_due() -> list[str | None]:
    return [channels.deliver(pk) for pk in selectors.due_notice_ids()]


def test_the_same_key_twice_is_one_notice_sent_once(
    db, published, django_capture_on_commit_callbacks
) -> None:
    user = UserFactory(email="amy@example.com", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        services.notify_user(
            kind="gift_delivered", key="order-1-delivered", user=user, context=CONTEXT
        )
        services.notify_user(
            kind="gift_delivered", key="order-1-delivered", user=user, context=CONTEXT
        )

    assert Notice.objects.count() == 1
    for pk in published:
        channels.deliver(pk)
    assert len(mail.outbox) == 1
    assert Notice.objects.get().status == S.SENT
    assert send_due() == []


def test_an_email_is_rendered_in_the_users_language(db, published) -> None:
    services.notify_user(
        kind="gift_delivered", key="k-zh", user=UserFactory(email="a@example.com"), context=CONTEXT
    )
    services.notify_user(
        kind="gift_delivered",
        key="k-en",
        user=UserFactory(email="b@example.com", language="en"),
        context=CONTEXT,
    )
    send_due()

    by_address = {m.to[0]: m for m in mail.outbox}
    assert by_address["b@example.com"].subject == "Your gift (手冲咖啡套装) was delivered"
    assert "手冲咖啡套装" in by_address["a@example.com"].subject
    assert "delivered" not in by_address["a@example.com"].subject
    assert CONTEXT["gift_url"] in by_address["a@example.com"].body


def test_a_text_message_goes_to_the_number_in_its_language(db, published, sms_outbox) -> None:
    services.notify_phone(
        kind="gift_tracking",
        key="claim-3-gift_tracking",
        phone="13912345678",
        language="en",
        context={
            "product": "Pour-over set",
            "sender_name": "Ming",
            "tracking_url": "https://x/t/3.a/",
        },
    )
    assert send_due() == [S.SENT]

    [message] = sms_outbox
    assert message.phone == "13912345678"
    assert (
        message.text == "You accepted Pour-over set from Ming. Follow your parcel: https://x/t/3.a/"
    )
    assert Notice.objects.get().provider_reference == "locmem-1"


def test_a_notice_of_a_rolled_back_change_does_not_exist(db, published) -> None:
    with pytest.raises(RuntimeError, match="the change failed"), transaction.atomic():
        services.notify_user(kind="gift_delivered", key="k", user=UserFactory(), context=CONTEXT)
        raise RuntimeError("the change failed")
    assert not Notice.objects.exists()


def test_a_failing_channel_is_retried_with_backoff_then_parked(db, published, settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing answers
    settings.NOTICE_RETRY_BASE_SECONDS, settings.NOTICE_MAX_ATTEMPTS = 60, 3
    services.notify_user(kind="gift_delivered", key="k", user=UserFactory(), context=CONTEXT)

    started = timezone.now()
    assert send_due() == [S.PENDING]
    notice = Notice.objects.get()
    assert notice.attempts == 1
    assert "ConnectionRefusedError" in notice.last_error
    assert notice.next_attempt_at >= started + timedelta(seconds=60)
    assert send_due() == []  # not due yet

    Notice.objects.update(next_attempt_at=timezone.now())
    retried = timezone.now()
    assert send_due() == [S.PENDING]
    assert Notice.objects.get().next_attempt_at >= retried + timedelta(seconds=120)  # doubled

    Notice.objects.update(next_attempt_at=timezone.now())
    assert send_due() == [S.PARKED]  # the last try
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (S.PARKED, 3)
    assert send_due() == []


def test_a_refused_text_message_is_parked_at_once(db, published, aliyun) -> None:
    services.notify_phone(
        kind="gift_tracking", key="claim-1-x", phone="10000", language="zh-hans", context={}
    )
    assert send_due() == [S.PARKED]
    assert "isv.MOBILE_NUMBER_ILLEGAL" in Notice.objects.get().last_error


def test_the_operator_retries_a_parked_notice(db, published, sms_outbox) -> None:
    services.notify_phone(
        kind="gift_tracking", key="claim-1-x", phone="13912345678", language="en", context={}
    )
    Notice.objects.update(status=S.PARKED, attempts=5)

    assert services.notice_retry(notices=Notice.objects.all()) == 1

    assert send_due() == [S.SENT]
    assert len(sms_outbox) == 1


def test_an_erased_account_is_not_emailed(db, published) -> None:
    user = UserFactory(is_active=False)
    services.notify_user(kind="gift_delivered", key="k", user=user, context=CONTEXT)
    assert send_due() == [S.DROPPED]
    assert mail.outbox == []


def test_erasing_a_recipients_texts_masks_the_number_and_drops_unsent_ones(db, published) -> None:
    services.notify_phone(
        kind="gift_tracking",
        key="claim-4-gift_tracking",
        phone="13912345678",
        language="en",
        context={"tracking_url": "https://x/t/4.a/"},
    )
    services.notify_phone(
        kind="gift_tracking",
        key="claim-44-gift_tracking",
        phone="13700000000",
        language="en",
        context={},
    )

    assert services.notices_erase_for(key_prefix="claim-4-") == 1

    erased = Notice.objects.get(key="claim-4-gift_tracking")
    assert (erased.phone, erased.context, erased.status) == ("139****5678", {}, S.DROPPED)
    assert Notice.objects.get(key="claim-44-gift_tracking").phone == "13700000000"


def test_the_admin_lists_notices_with_the_phone_masked(admin_client, published) -> None:
    services.notify_phone(
        kind="gift_tracking", key="claim-5-x", phone="13912345678", language="en", context={}
    )
    response = admin_client.get("/admin/notices/notice/")
    assert response.status_code == 200
    assert "139****5678" in response.text
    assert "13912345678" not in response.text
    detail = admin_client.get(f"/admin/notices/notice/{Notice.objects.get().pk}/change/")
    assert "13912345678" not in detail.text
