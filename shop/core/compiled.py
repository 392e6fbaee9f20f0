"""Querysets compiled to SQL once per process, then only run.

Django compiles a queryset every time it is evaluated. For a page of product cards (a
join and three correlated subqueries, more for a search) that compiling cost several
times what PostgreSQL takes to run the query, and building a model instance for every
row cost as much again. `rows()` keeps the SQL, its parameters and the columns' converters
under a key that the caller derives from everything the query depends on, and returns
plain tuples. `objects()` does the same for model instances, built as Django builds
them (with their `select_related` objects and annotations), for a page that needs real
models: the product page, the claim page. The rows are read fresh each time: only the
SQL is reused.

A key must determine the query entirely (its filters, order and the values they compare
with), except what is passed with each run: a page's offset and size, and the arguments
the query looks up (a product's pk, a claim link's hash).
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

KEPT = 512
"""Compiled queries kept per process, least recently used dropped first (a few kilobytes
each: the card queries of every category, sort and recent search)."""


@dataclass(frozen=True)
class _Instances:
    """How `ModelIterable` turns a row into a model instance, worked out once."""

    model: type[Model]
    start: int
    end: int
    init_list: tuple[str, ...]
    related_populators: tuple
    annotation_col_map: tuple[tuple[str, int], ...]

    def build(self, alias: str, row: tuple) -> Model:
        obj = self.model.from_db(alias, self.init_list, row[self.start : self.end])
        for populator in self.related_populators:
            populator.populate(row, obj)
        for name, position in self.annotation_col_map:
            setattr(obj, name, row[position])
        return obj


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    converters: tuple[tuple[int, tuple[Callable, ...], object], ...]
    slots: tuple[tuple[int, int], ...] = ()
    """(position in `params`, argument) pairs: where each run's arguments go."""
    instances: _Instances | None = None


_EMPTY = _Compiled("", (), ())  # a query that can match nothing (e.g. `.none()`)
_INT_MARKER = -2_147_400_000  # in range for any integer column Django checks lookups against
_BIGINT = (-(2**63), 2**63 - 1)
_kept: OrderedDict[tuple, _Compiled] = OrderedDict()
_lock = threading.Lock()


def rows(
    key: Hashable,
    model: type[Model],
    build: Callable[..., QuerySet],
    *args: int | str,
    offset: int = 0,
    limit: int | None = None,
) -> list[tuple]:
    """The rows of `build(*args)` (a `values_list` queryset, unsliced, whose columns
    Django selects in the order named), `limit` of them from `offset`; `build` runs only
    when `key` has no compiled query yet in this process (`args` as in `objects()`)."""
    alias = router.db_for_read(model)
    compiled = _compiled((alias, key), alias, build, args, instances=False)
    if _out_of_range(args):
        return []
    return _run(alias, compiled, _params(compiled, args), offset, limit)


def objects(
    key: Hashable,
    model: type[Model],
    build: Callable[..., QuerySet],
    *args: int | str,
    limit: int | None = None,
) -> list[Model]:
    """The model instances of `build(*args)`, as iterating it would give them; `build`
    runs only when `key` has no compiled query yet in this process, then with stand-ins
    for `args` that are found among the compiled parameters and replaced on each run.
    So `build` must pass each argument to the ORM as a lookup's value, unchanged."""
    alias = router.db_for_read(model)
    compiled = _compiled((alias, "objects", key), alias, build, args, instances=True)
    if _out_of_range(args):
        return []
    found = _run(alias, compiled, _params(compiled, args), 0, limit)
    return [compiled.instances.build(alias, row) for row in found] if found else []


def _out_of_range(args: tuple) -> bool:
    """An integer no integer column can hold matches nothing, as the ORM's own lookups
    decide (SQLite would refuse to bind it: a 500 for `/products/<30 digits>/`)."""
    return any(isinstance(arg, int) and not _BIGINT[0] <= arg <= _BIGINT[1] for arg in args)


def _params(compiled: _Compiled, args: tuple) -> tuple | list:
    if not compiled.slots:
        return compiled.params
    params = list(compiled.params)
    for position, argument in compiled.slots:
        params[position] = args[argument]
    return params


def _run(
    alias: str, compiled: _Compiled, params: tuple | list, offset: int, limit: int | None
) -> list[tuple]:
    if compiled is _EMPTY:
        return []
    sql = compiled.sql
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


def _markers(args: tuple) -> tuple[int | str, ...]:
    """Stand-ins for `args` that no real lookup value equals."""
    markers: list[int | str] = []
    for n, arg in enumerate(args):
        if isinstance(arg, bool) or not isinstance(arg, int | str):
            raise TypeError(f"argument {n} is {type(arg).__name__}: pass an int or a str")
        markers.append(_INT_MARKER - n if isinstance(arg, int) else f"\x1fcompiled-arg-{n}\x1f")
    return tuple(markers)


def _slots(sql: str, params: tuple, markers: tuple) -> tuple[tuple[int, int], ...]:
    slots = tuple(
        (position, n)
        for position, param in enumerate(params)
        for n, marker in enumerate(markers)
        if type(param) is type(marker) and param == marker
    )
    for n, marker in enumerate(markers):
        if n not in {argument for _, argument in slots} or str(marker) in sql:
            raise ValueError(f"argument {n} does not reach the SQL as a parameter")
    return slots


def _converted(row: tuple, converters: tuple, connection: object) -> tuple:
    values = list(row)
    for position, functions, expression in converters:
        for function in functions:
            values[position] = function(values[position], expression, connection)
    return tuple(values)


def _compiled(
    kept_as: tuple, alias: str, build: Callable[..., QuerySet], args: tuple, *, instances: bool
) -> _Compiled:
    with _lock:
        compiled = _kept.get(kept_as)
        if compiled is not None:
            _kept.move_to_end(kept_as)
            return compiled
    markers = _markers(args)
    queryset = build(*markers)
    if queryset.query.is_sliced:
        raise ValueError("pass the page as offset and limit, not as a slice")
    compiler = queryset.query.get_compiler(alias)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        if args:  # a stand-in the ORM ruled out, not a query that matches nothing
            raise ValueError("the query matches nothing for any argument") from None
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
            _slots(sql, tuple(params), markers),
            _instances(queryset, compiler, alias) if instances else None,
        )
    with _lock:
        _kept[kept_as] = compiled
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return compiled


def _instances(queryset: QuerySet, compiler: object, alias: str) -> _Instances:
    if queryset._prefetch_related_lookups or queryset._known_related_objects:
        raise ValueError("a compiled query cannot prefetch or carry known related objects")
    klass_info, select = compiler.klass_info, compiler.select
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    return _Instances(
        model=klass_info["model"],
        start=start,
        end=end,
        init_list=tuple(column[0].target.attname for column in select[start:end]),
        related_populators=tuple(get_related_populators(klass_info, select, alias)),
        annotation_col_map=tuple((compiler.annotation_col_map or {}).items()),
    )
