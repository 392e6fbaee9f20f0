"""Catalogue reads on a read replica, when DATABASE_REPLICA_URL configures one.

Browsing is most of a campaign's load and tolerates a replica's lag of a fraction of a
second; everything else (carts, orders, payments, gifts) reads and writes the primary, so
a buyer never sees a paid order as unpaid however far the replica lags. Catalogue reads
stay on the primary too:
- inside a transaction: checkout reserves stock in one, and must see the rows it locks;
- for a shopper who has just changed something (read-your-writes): ReadYourWritesMiddleware
  sets a short cookie on every write request, and requests carrying it run in
  `read_primary()`, so the stock and prices they see include their own changes;
- while the replica is unreachable: a failed connection, or a query cut off on it
  (ReplicaFallbackMiddleware then answers that GET again from the primary), sends
  catalogue reads to the primary for REPLICA_RETRY_SECONDS, then the replica is tried
  again, so stopping it costs no request.
Without a replica the router says nothing (None) and Django uses `default`, as in tests.
"""

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import Model

logger = logging.getLogger(__name__)

REPLICA = "replica"
REPLICATED_APPS = frozenset({"catalogue"})

_read_primary: ContextVar[bool] = ContextVar("read_primary", default=False)


class ReplicaHealth:
    """When the replica last failed, shared by the router and the middleware's retry."""

    def __init__(self) -> None:
        self._down_until = 0.0

    def is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def mark_down(self) -> None:
        self._down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
        logger.warning(
            "replica unreachable; catalogue reads use the primary for %s s",
            settings.REPLICA_RETRY_SECONDS,
        )


replica_health = ReplicaHealth()


@contextmanager
def read_primary() -> Iterator[None]:
    """Every read in the block goes to the primary (a shopper's own writes are there)."""
    token = _read_primary.set(True)
    try:
        yield
    finally:
        _read_primary.reset(token)


class CatalogueReplicaRouter:
    def __init__(
        self,
        databases: dict | None = None,
        replica_reachable: Callable[[], bool] | None = None,
    ) -> None:
        self._databases = databases
        self._reachable = replica_reachable or self._replica_reachable

    def _has_replica(self) -> bool:
        databases = settings.DATABASES if self._databases is None else self._databases
        return REPLICA in databases

    def _replica_reachable(self) -> bool:
        """Connected (or connectable) now; after a failure, not asked again for a while."""
        if replica_health.is_down():
            return False
        connection = connections[REPLICA]
        try:
            connection.close_if_health_check_failed()
            connection.ensure_connection()
        except DatabaseError:
            replica_health.mark_down()
            return False
        return True

    def db_for_read(self, model: type[Model], **hints: object) -> str | None:
        if not self._has_replica() or model._meta.app_label not in REPLICATED_APPS:
            return None
        if connections["default"].in_atomic_block or _read_primary.get():
            return "default"
        if not self._reachable():
            return "default"
        return REPLICA

    def db_for_write(self, model: type[Model], **hints: object) -> str | None:
        return "default" if self._has_replica() else None

    def allow_relation(self, obj1: Model, obj2: Model, **hints: object) -> bool | None:
        return True if self._has_replica() else None

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool | None:
        """The replica copies the primary's schema; migrations run on the primary only."""
        return db != REPLICA
