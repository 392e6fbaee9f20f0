"""Readiness checks: can this process reach what it needs to serve requests?

Each check is bounded in time (database connect timeout, cache and broker socket
timeouts), so a dead dependency makes /readyz answer 503 quickly rather than hang the
load balancer's probe.
"""

import logging
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import connections

from shop.celery import app

logger = logging.getLogger(__name__)
BROKER_TIMEOUT_SECONDS = 2.0


def database_ok() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def cache_ok() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, 1, timeout=5)
    if cache.get(key) != 1:
        raise RuntimeError("the cache did not return what was just stored")
    cache.delete(key)


def broker_ok() -> None:
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)


CHECKS: dict[str, Callable[[], None]] = {
    "database": database_ok,
    "cache": cache_ok,
    "broker": broker_ok,
}
# A broker outage is reported but leaves the node ready: publishing is best effort
# (shop.core.tasks.publish) and the sweeps catch up, and the broker is shared by every
# node, so taking them all out of the balancer would turn a delay into an outage.
OPTIONAL = frozenset({"broker"})


def readiness() -> dict[str, str]:
    """{"database": "ok", "cache": "ok", "broker": "failed"}: each dependency's state."""
    states = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:
            logger.warning("readiness: %s is unreachable", name, exc_info=True)
            states[name] = "failed"
        else:
            states[name] = "ok"
    return states
