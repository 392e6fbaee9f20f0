from celery import shared_task

from . import changes, services
from .chipin import services as chipin


@shared_task
def expire_due_gifts_task() -> int:
    """Beat, every GIFT_EXPIRY_SWEEP_SECONDS: the database, not a broker ETA, drives expiry."""
    return services.gifts_expire_due()


@shared_task
def resolve_due_changes_task() -> int:
    """Beat, every GIFT_CHANGE_SWEEP_SECONDS: answer the changes merchants left unanswered."""
    return changes.changes_resolve_due()


@shared_task
def remind_senders_task() -> int:
    return services.gifts_send_reminders()


@shared_task
def abandon_unpaid_gifts_task() -> int:
    return services.gifts_abandon_unpaid()


@shared_task
def chip_ins_sweep_task() -> int:
    """Beat: close chip-ins past their funding deadline, free shares not paid in time."""
    return chipin.chip_ins_sweep()
