from celery import shared_task
from django.core import management
from django.utils.translation import gettext_noop

from shop.core import jobs

SESSIONS_JOB = jobs.define("accounts.clear_sessions", gettext_noop("Delete expired sessions"))


@shared_task
def clear_expired_sessions() -> None:
    """Sessions are stored in the database; expired ones are deleted, not kept forever."""
    jobs.run_once(SESSIONS_JOB, lambda: management.call_command("clearsessions"))
