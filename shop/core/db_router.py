"""Catalogue reads on a read replica, when DATABASE_REPLICA_URL configures one.

Browsing is most of a campaign's load and tolerates a replica's lag of a fraction of a
second; everything else (carts, orders, payments, gifts) reads and writes the primary.
A read inside a transaction stays on the primary too: checkout reserves stock in one, and
must see the rows it locks. Without a replica the router says nothing (None) and Django
uses `default`, as in tests.
"""

from django.conf import settings
from django.db import connections
from django.db.models import Model

REPLICA = "replica"
REPLICATED_APPS = frozenset({"catalogue"})


class CatalogueReplicaRouter:
    def __init__(self, databases: dict | None = None) -> None:
        self._databases = databases

    def _has_replica(self) -> bool:
        databases = settings.DATABASES if self._databases is None else self._databases
        return REPLICA in databases

    def db_for_read(self, model: type[Model], **hints: object) -> str | None:
        if not self._has_replica() or model._meta.app_label not in REPLICATED_APPS:
            return None
        if connections["default"].in_atomic_block:
            return "default"
        return REPLICA

    def db_for_write(self, model: type[Model], **hints: object) -> str | None:
        return "default" if self._has_replica() else None

    def allow_relation(self, obj1: Model, obj2: Model, **hints: object) -> bool | None:
        return True if self._has_replica() else None

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool | None:
        """The replica copies the primary's schema; migrations run on the primary only."""
        return db != REPLICA
