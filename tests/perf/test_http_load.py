"""HTTP under a gift campaign: gunicorn (2 workers) on PostgreSQL with the Redis cache.

For each catalogue size of BENCH_PRODUCTS (default "1000,10000", smallest first; the
seed tops the catalogue up to each size), starts the production server setup
(deploy/gunicorn.conf.py) twice on the bench database: once with the page cache off
(PAGE_CACHE_SECONDS=0, every request renders: what a long-tail page costs) and once
with it on (the default, 1 s). Every page target of http_targets.py is driven on both,
each beside the floor (a view that does nothing, through the full middleware stack)
measured on the same server just before it (the machine's speed drifts between
targets, so each page's ratio is to its own floor); the other targets (the writes) run once,
at the largest size, with the cache on. Each target is driven from a separate process
(tests/perf/load.py) for BENCH_HTTP_SECONDS (default 10) after a one-second warm-up,
BENCH_HTTP_CONCURRENCY (default 8) requests in flight.

Per row: requests/s, p50 and p99 latency, SQL statements per request (the server's
X-Query-Count), the workers' peak memory, the ratio to the floor. Printed as one table
(each page cold and cached, beside the floor, at each size; then the writes) and written
to tests/perf/results/http_load.json and http_load.png.

Failed requests always fail the bench; BENCH_STRICT=1 also fails it when a target's
share of the floor is missed (`cold_floor_share` with the cache off, `floor_share` with
it on).
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil
import pytest
from django.core.management import call_command
from django.db import connection

from tests.perf.conftest import RESULTS, ROOT, flush_broker
from tests.perf.http_targets import TARGETS

SECONDS = float(os.environ.get("BENCH_HTTP_SECONDS", "10"))
CONCURRENCY = int(os.environ.get("BENCH_HTTP_CONCURRENCY", "8"))
SIZES = sorted(int(size) for size in os.environ.get("BENCH_PRODUCTS", "1000,10000").split(","))
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/12")
STRICT = os.environ.get("BENCH_STRICT") == "1"
WORKERS = 2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _flush_cache() -> None:
    import redis

    client = redis.Redis.from_url(CACHE_URL)
    client.flushdb()
    client.close()


class Server:
    """gunicorn with the production config, on the bench database, cache and broker."""

    def __init__(self, log: Path, *, page_cache: bool) -> None:
        db = connection.settings_dict
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "CACHE_URL": CACHE_URL,
            "QUERY_COUNT_HEADER": "1",
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "WEB_CONCURRENCY": str(WORKERS),
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_ACCESS_LOG": "",
            "API_RATE_LIMIT": "10000000/min",  # the bench measures the API, not its limit
            # No recycling mid-run: at the floor's rate a worker reached the production
            # 10,000 requests within seconds, and its restart cut the floor by up to half.
            "GUNICORN_MAX_REQUESTS": "0",
        }
        if not page_cache:
            env["PAGE_CACHE_SECONDS"] = "0"
        command = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
        )
        # The master loads the application and search's dictionaries before it forks:
        # seconds on a quiet machine, longer on a busy one.
        deadline = time.monotonic() + 120
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"gunicorn did not start; see {log}")
            time.sleep(0.2)

    def _answers(self) -> bool:
        """Every worker is up: a run of /readyz answers in a row (database, cache, broker)."""
        try:
            for _ in range(4 * WORKERS):
                with urllib.request.urlopen(f"{self.base}/readyz", timeout=2) as response:
                    response.read()
        except OSError:
            return False
        return True

    def workers(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class PeakMemory:
    """The largest proportional set size (PSS) of any one worker while the load runs,
    sampled 5x/s: its own pages plus its share of those it shares with the master and the
    other worker (the preloaded application, jieba's dictionary), so shared memory is
    not counted once per worker as the resident set would."""

    def __init__(self, server: Server) -> None:
        self.server, self.peak, self._done = server, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(0.2):
            for worker in self.server.workers():
                try:
                    self.peak = max(self.peak, worker.memory_full_info().pss)
                except psutil.Error:
                    continue

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def _drive(base: str, plan: dict) -> dict:
    request = {
        "base": base,
        "seconds": SECONDS,
        "warmup": 1.0,
        "concurrency": plan["concurrency"] or CONCURRENCY,
        "target": plan,
    }
    result = subprocess.run(
        [sys.executable, "-m", "tests.perf.load"],
        cwd=ROOT,
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=SECONDS + 60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


MODES = ("off", "on")  # the page cache, as the server measured had it


def _row(target, measured: dict, memory: PeakMemory, *, products: int, cache: str) -> dict:
    share = target.cold_floor_share if cache == "off" else target.floor_share
    return {
        "target": target.name,
        "method": target.method,
        "products": products,
        "page_cache": cache,
        "page": target.page,
        "floor": target.is_floor,
        "rps": round(measured["rps"], 1),
        "p50_ms": round(measured["p50_ms"], 2),
        "p99_ms": round(measured["p99_ms"], 2),
        "queries": measured["queries_per_request"],
        "peak_mb": round(memory.peak / 2**20, 1),
        "ratio_to_floor": 0.0,
        "floor_share_target": share,
        "requests": measured["requests"],
        "failed": sum(measured["failures"].values()),
        "failures": measured["failures"],
    }


def _measure(server: Server, target, plan: dict, **where: object) -> dict:
    with PeakMemory(server) as memory:
        measured = _drive(server.base, plan)
    return _row(target, measured, memory, **where)


def _with_ratios(rows: list[dict]) -> list[dict]:
    """Each row's share of its floor: a page's, the floor measured beside it on the same
    server; a write's, the floor measured last before it (same clients)."""
    floors = {(r["products"], r["page_cache"]): r["rps"] for r in rows if r["floor"] and r["page"]}
    last_floor = None
    for row in rows:
        same_server = floors.get((row["products"], row["page_cache"]))
        if row["page"]:
            floor = row.get("floor_rps", same_server)
        else:
            last_floor = row["rps"] if row["floor"] else last_floor
            floor = last_floor or same_server
        row["ratio_to_floor"] = round(row["rps"] / floor, 4) if floor else 0.0
    return rows


def _verdict(row: dict | None) -> str:
    if row is None or row["floor_share_target"] is None:
        return ""
    share = row["floor_share_target"]
    return f"≥{share:.0%} " + ("met" if row["ratio_to_floor"] >= share else "MISSED")


def table(rows: list[dict]) -> list[dict]:
    """One line a (target, catalogue size): the page cache off and on side by side."""
    lines: dict[tuple, dict] = {}
    for row in rows:
        key = (row["target"], row["products"] if row["page"] else None)
        lines.setdefault(key, {"target": row["target"], "products": key[1]})[row["page_cache"]] = (
            row
        )
    return list(lines.values())


def _cells(row: dict | None) -> str:
    if row is None:
        return f"{'-':>7} {'-':>6} {'-':>7} {'-':>7} {'-':>5}"
    queries = "-" if row["queries"] is None else f"{row['queries']:.1f}"
    return (
        f"{row['rps']:7.0f} {row['ratio_to_floor']:6.0%} {row['p50_ms']:7.1f} "
        f"{row['p99_ms']:7.1f} {queries:>5}"
    )


def _print_table(rows: list[dict]) -> None:
    half = f"{'req/s':>7} {'×floor':>6} {'p50 ms':>7} {'p99 ms':>7} {'SQL':>5}"
    print(f"\n{'':42} {'page cache OFF (cold)':^36} | {'page cache ON':^36}")
    print(f"{'target':34} {'products':>7} {half} | {half} | {'PSS MB':>7} targets (off / on)")
    for line in table(rows):
        off, on = line.get("off"), line.get("on")
        size = "-" if line["products"] is None else f"{line['products']:,}"
        peak = max(r["peak_mb"] for r in (off, on) if r)
        targets = " / ".join(v for v in (_verdict(off), _verdict(on)) if v)
        print(f"{line['target']:34} {size:>7} {_cells(off)} | {_cells(on)} | {peak:7.0f} {targets}")


def _chart(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = table(rows)
    names = [
        line["target"] + ("" if line["products"] is None else f" @ {line['products']:,}")
        for line in lines
    ]
    fig, ax = plt.subplots(figsize=(12, 0.45 * len(lines) + 1.5))
    y = range(len(lines))
    for offset, cache, color in ((-0.2, "off", "#4c72b0"), (0.2, "on", "#dd8452")):
        shares = [100 * line[cache]["ratio_to_floor"] if cache in line else 0 for line in lines]
        label = "page cache off (cold)" if cache == "off" else "page cache on / writes"
        ax.barh([i + offset for i in y], shares, height=0.38, color=color, label=label)
        for i, line in enumerate(lines):
            row = line.get(cache)
            if row is None:
                continue
            text = f" {row['ratio_to_floor']:.0%} ({row['rps']:.0f}/s)"
            ax.annotate(text, (shares[i], i + offset), va="center", fontsize=7)
            if row["floor_share_target"]:
                target = 100 * row["floor_share_target"]
                ax.plot([target, target], [i + offset - 0.19, i + offset + 0.19], color="black")
    ax.set_yticks(list(y), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("share of the floor's requests/s, % (black tick: target)")
    ax.legend(loc="lower right")
    ax.margins(x=0.15)
    fig.suptitle(f"gunicorn, {WORKERS} workers, {CONCURRENCY} in flight, {SECONDS:.0f} s a target")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _analyze() -> None:
    """Fresh planner statistics after seeding, as autovacuum would give a live shop."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def test_pages_under_load_against_the_floor(transactional_db: None, figures) -> None:
    pages = [target for target in TARGETS if target.page]
    others = [target for target in TARGETS if not target.page]
    RESULTS.mkdir(exist_ok=True)
    rows: list[dict] = []
    started = time.monotonic()
    for size in SIZES:
        call_command("seed_demo", products=size, verbosity=0)
        _analyze()
        plans = [(target, target.plan()) for target in pages]
        extra = [(target, target.plan()) for target in others] if size == SIZES[-1] else []
        flush_broker()
        _flush_cache()
        servers = {
            cache: Server(RESULTS / f"gunicorn-cache-{cache}.log", page_cache=cache == "on")
            for cache in MODES
        }
        floor, floor_plan = plans[0]
        assert floor.is_floor, "the floor is the first page target (http_targets.py)"
        try:
            for target, plan in plans:
                for cache, server in servers.items():
                    where = {"products": size, "cache": cache}
                    row = _measure(server, target, plan, **where)
                    if not target.is_floor:
                        # The machine's speed drifts between targets: each page gets the
                        # floor measured just before it, on the same server.
                        row["floor_rps"] = _measure(server, floor, floor_plan, **where)["rps"]
                    rows.append(row)
            for target, plan in extra:
                rows.append(_measure(servers["on"], target, plan, products=size, cache="on"))
        finally:
            for server in servers.values():
                server.stop()
            _flush_cache()
            flush_broker()
    _with_ratios(rows)
    wall = time.monotonic() - started

    for row in rows:
        case = f"{row['target']} @ {row['products']:,} products, page cache {row['page_cache']}"
        figures.add(case, "requests/s", row["rps"], note=f"{row['requests']:,} requests")
        figures.add(case, "p50 latency", row["p50_ms"], "ms")
        figures.add(case, "p99 latency", row["p99_ms"], "ms")
        if row["queries"] is not None:
            figures.add(case, "SQL queries per request", round(row["queries"], 2))
        figures.add(case, "worker peak PSS", row["peak_mb"], "MB")
        figures.add(case, "ratio to floor", round(row["ratio_to_floor"], 3), note=_verdict(row))
        if "floor_rps" in row:
            figures.add(case, "floor beside it", row["floor_rps"], "requests/s")
        figures.add(case, "failed requests", row["failed"], note=str(row["failures"] or ""))
    figures.add("whole HTTP bench", "wall time", round(wall), "s")
    (RESULTS / "http_load.json").write_text(
        json.dumps(
            {
                "workers": WORKERS,
                "concurrency": CONCURRENCY,
                "seconds": SECONDS,
                "sizes": SIZES,
                "wall_seconds": round(wall),
                "rows": rows,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    _chart(rows, RESULTS / "http_load.png")
    _print_table(rows)
    print(f"HTTP bench wall time: {wall:.0f} s")
    figures.note(f"chart: {RESULTS / 'http_load.png'}")

    assert all(row["failed"] == 0 for row in rows), [(r["target"], r["failures"]) for r in rows]
    if STRICT:
        missed = [
            (row["target"], row["products"], row["page_cache"], row["ratio_to_floor"])
            for row in rows
            if row["floor_share_target"] is not None
            and row["ratio_to_floor"] < row["floor_share_target"]
        ]
        assert not missed, missed
