"""Querysets compiled to SQL once per process, then only run.

Django compiles a queryset every time it is evaluated. For a page of product cards (a
join and three correlated subqueries, more for a search) that compiling cost several
times what PostgreSQL takes to run the query, and building a model instance for every
row cost as much again. `rows()` keeps the SQL, its parameters and the columns' converters
under a key that the caller derives from everything the query depends on, and returns
plain tuples. The rows are read fresh each time: only the SQL is reused.

A key must determine the query entirely (its filters, order and the values they compare
with); a page's offset and size are not part of it but parameters of the run.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import Model, QuerySet

KEPT = 512
"""Compiled queries kept per process, least recently used dropped first (a few kilobytes
each: the card queries of every category, sort and recent search)."""


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    converters: tuple[tuple[int, tuple[Callable, ...], object], ...]


_EMPTY = _Compiled("", (), ())  # a query that can match nothing (e.g. `.none()`)
_kept: OrderedDict[tuple, _Compiled] = OrderedDict()
_lock = threading.Lock()


def rows(
    key: Hashable,
    model: type[Model],
    build: Callable[[], QuerySet],
    *,
    offset: int = 0,
    limit: int | None = None,
) -> list[tuple]:
    """The rows of `build()` (a `values_list` queryset, unsliced, whose columns Django
    selects in the order named), `limit` of them from `offset`; `build` runs only when
    `key` has no compiled query yet in this process."""
    alias = router.db_for_read(model)
    compiled = _compiled((alias, key), alias, build)
    if compiled is _EMPTY:
        return []
    sql, params = compiled.sql, compiled.params
    if limit is not None:
        sql, params = f"{sql} LIMIT %s OFFSET %s", (*params, limit, offset)
    elif offset:
        raise ValueError("an offset needs a limit")
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    if compiled.converters:
        found = [_converted(row, compiled.converters, connection) for row in found]
    return found


def _converted(row: tuple, converters: tuple, connection: object) -> tuple:
    values = list(row)
    for position, functions, expression in converters:
        for function in functions:
            values[position] = function(values[position], expression, connection)
    return tuple(values)


def _compiled(kept_as: tuple, alias: str, build: Callable[[], QuerySet]) -> _Compiled:
    with _lock:
        compiled = _kept.get(kept_as)
        if compiled is not None:
            _kept.move_to_end(kept_as)
            return compiled
    queryset = build()
    if queryset.query.is_sliced:
        raise ValueError("pass the page as offset and limit, not as a slice")
    compiler = queryset.query.get_compiler(alias)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        compiled = _EMPTY
    else:
        columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
        compiled = _Compiled(
            sql,
            tuple(params),
            tuple(
                (position, tuple(functions), expression)
                for position, (functions, expression) in compiler.get_converters(columns).items()
            ),
        )
    with _lock:
        _kept[kept_as] = compiled
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return compiled
