"""Notices through real Celery processes: a mail server that never answers gets each try
the worker makes, on the backoff, until the notice is parked for operators."""

import time
from pathlib import Path

from django.db import transaction

from shop.core.tasks import publish
from shop.notices import services
from shop.notices.models import Notice
from shop.notices.tasks import notices_send_due_task
from tests.factories import UserFactory
from tests.workers import PrivateRedis, Worker, log_tail

CONTEXT = {"product": "手冲咖啡套装", "gift_url": "https://gifts.example/gifts/sent/1/"}


def test_an_email_the_mail_server_refuses_is_tried_on_its_backoff_then_parked(
    private_broker: PrivateRedis, tmp_path: Path
) -> None:
    worker = Worker(
        tmp_path,
        private_broker.url,
        EMAIL_URL="smtp://127.0.0.1:9",  # the discard port: nothing answers
        NOTICE_RETRY_BASE_SECONDS="1",
        NOTICE_MAX_ATTEMPTS="3",
    )
    try:
        with transaction.atomic():  # committed: the worker gets the first try on commit
            services.notify_user(
                kind="gift_delivered", key="delivered-1", user=UserFactory(), context=CONTEXT
            )
        tries: list[tuple[int, str]] = []
        deadline = time.monotonic() + 30
        while (notice := Notice.objects.get()).status == Notice.Status.PENDING:
            assert time.monotonic() < deadline, log_tail(worker.log)
            if not tries or tries[-1][0] != notice.attempts:
                tries.append((notice.attempts, notice.next_attempt_at.isoformat()))
            publish(notices_send_due_task)  # beat's tick: queue what is due again
            time.sleep(0.5)
    finally:
        worker.stop()

    assert (notice.status, notice.attempts, notice.sent_at) == (Notice.Status.PARKED, 3, None)
    assert "ConnectionRefusedError" in notice.last_error
    # Seen between tries: one failed, then two, each due again at a later time.
    assert [attempts for attempts, _ in tries if attempts] == [1, 2]
    assert tries[-2][1] < tries[-1][1]
