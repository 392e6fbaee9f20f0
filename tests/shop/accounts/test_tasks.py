from datetime import timedelta

from django.contrib.sessions.models import Session
from django.utils import timezone

from shop.accounts.tasks import clear_expired_sessions
from tests.conftest import wait_until


def test_the_worker_deletes_expired_sessions_and_keeps_live_ones(celery_worker) -> None:
    now = timezone.now()
    Session.objects.create(
        session_key="expired", session_data="", expire_date=now - timedelta(days=1)
    )
    Session.objects.create(session_key="live", session_data="", expire_date=now + timedelta(days=1))
    clear_expired_sessions.delay()
    assert wait_until(lambda: not Session.objects.filter(session_key="expired").exists())
    assert Session.objects.filter(session_key="live").exists()
