from celery import shared_task
from django.core import management


@shared_task
def clear_expired_sessions() -> None:
    """Sessions are stored in the database; expired ones are deleted, not kept forever."""
    management.call_command("clearsessions")
