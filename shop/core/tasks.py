"""Publishing Celery tasks so that a broker outage never loses work.

The database row (a refund, a notification, a gift) is the record of work to do; the
broker message only makes it happen sooner. So publishing never fails the caller: if
the broker is down, the periodic sweep that owns that kind of row picks it up later.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

logger = logging.getLogger(__name__)

_off: ContextVar[bool] = ContextVar("publishing_off", default=False)


@contextmanager
def publishing_off() -> Iterator[None]:
    """Publish nothing inside the block, for a caller that does the tasks' work itself.

    `seed_demo` replays weeks of history in-process (notifications, refunds); messages
    published then would only repeat that work, and mail its emails, after the fact.
    """
    token = _off.set(True)
    try:
        yield
    finally:
        _off.reset(token)


def publish(task: object, *args: object) -> bool:
    """`task.delay(*args)`, logging instead of raising if the broker cannot be reached."""
    if _off.get():
        return False
    try:
        task.delay(*args)  # type: ignore[attr-defined]
    except Exception:
        logger.warning("Could not publish %s%s; its sweep will retry", task, args)
        return False
    return True
