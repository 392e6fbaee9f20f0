"""Kinds that need more than their stored context when they are sent.

A domain app registers, at start-up, a `prepare(context) -> context | None` for a kind:
it adds what must not be stored on the row (a gift's share link, which a database dump
must not yield) or returns None when the notice has become pointless (a reminder for a
gift accepted meanwhile), and the notice is then dropped.
"""

from collections.abc import Callable

Prepare = Callable[[dict], dict | None]

_prepare: dict[str, Prepare] = {}


def register(kind: str, prepare: Prepare) -> None:
    if _prepare.get(kind, prepare) is not prepare:
        raise ValueError(f"Notice kind {kind!r} is already registered.")
    _prepare[kind] = prepare


def prepared(kind: str, context: dict) -> dict | None:
    prepare = _prepare.get(kind)
    return context if prepare is None else prepare(context)
