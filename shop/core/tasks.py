"""Publishing Celery tasks so that a broker outage never loses work.

The database row (a refund, a notification, a gift) is the record of work to do; the
broker message only makes it happen sooner. So publishing never fails the caller: if
the broker is down, the periodic sweep that owns that kind of row picks it up later.
"""

import logging

logger = logging.getLogger(__name__)


def publish(task: object, *args: object) -> bool:
    """`task.delay(*args)`, logging instead of raising if the broker cannot be reached."""
    try:
        task.delay(*args)  # type: ignore[attr-defined]
    except Exception:
        logger.warning("Could not publish %s%s; its sweep will retry", task, args)
        return False
    return True
