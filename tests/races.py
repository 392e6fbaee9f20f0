"""Running contenders at once, for the races on PostgreSQL (real threads, real connections)."""

import threading
import time
from collections.abc import Callable

from django.db import connection
from django.utils import translation


def run_at_once(
    calls: list[Callable[[], object]],
    delays_ms: list[float] | None = None,
    before_release: Callable[[], object] | None = None,
) -> list[object]:
    """Run each call in its own thread, released together (then after its delay, if any).

    Each thread connects to the database first; once all are connected, `before_release`
    runs here (to set a deadline just before the race) and then all are let go at once.
    Returns each call's result or the exception it raised, in order. Messages are English.
    """
    ready = threading.Barrier(len(calls) + 1)
    go = threading.Barrier(len(calls) + 1)
    outcomes: list[object] = [None] * len(calls)
    delays = delays_ms or [0.0] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            connection.ensure_connection()
            ready.wait(timeout=30)
            go.wait(timeout=30)
            if delays[index] > 0:
                time.sleep(delays[index] / 1000)
            with translation.override("en"):
                outcomes[index] = call()
        except Exception as error:
            outcomes[index] = error
            ready.abort()  # never leave the others (or this test) waiting for this thread
            go.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    ready.wait(timeout=30)
    if before_release is not None:
        before_release()
    go.wait(timeout=30)
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return outcomes
