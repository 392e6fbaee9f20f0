"""HTTP under a gift campaign: gunicorn (2 workers) on PostgreSQL with the Redis cache.

Seeds a 10,000-product catalogue, starts the production server setup
(deploy/gunicorn.conf.py) on the bench database, and drives each target of
http_targets.py from a separate process (tests/perf/load.py) for BENCH_HTTP_SECONDS
(default 10) after a one-second warm-up, BENCH_HTTP_CONCURRENCY (default 8) requests in
flight. Per target: requests/s, p50 and p99 latency, SQL statements per request (the
server's X-Query-Count), the workers' peak memory, and the ratio to the floor (a view
that does nothing, through the full middleware stack). Written to
tests/perf/results/http_load.json and http_load.png.

Targets from the issue: listing and product pages at least 50% of the floor's
throughput, the claim page 30%; no request fails. BENCH_STRICT=1 turns a miss into a
failure; failed requests always fail the bench.
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
PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "10000"))
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

    def __init__(self, log: Path) -> None:
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
        }
        command = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
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
    """The largest resident set of any one worker while the load runs (sampled 5x/s)."""

    def __init__(self, server: Server) -> None:
        self.server, self.peak, self._done = server, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(0.2):
            for worker in self.server.workers():
                try:
                    self.peak = max(self.peak, worker.memory_info().rss)
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


def _chart(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [row["target"] for row in rows]
    fig, (rps, p99) = plt.subplots(1, 2, figsize=(12, 4.5))
    rps.barh(names, [row["rps"] for row in rows], color="#4c72b0")
    rps.set_xlabel("requests per second")
    for i, row in enumerate(rows):
        share = row["floor_share_target"]
        wanted = f" (target {share:.0%})" if share else ""
        rps.annotate(f" {row['ratio_to_floor']:.0%} of floor{wanted}", (row["rps"], i), va="center")
    rps.invert_yaxis()
    rps.margins(x=0.45)
    p99.barh(names, [row["p99_ms"] for row in rows], color="#dd8452", label="p99")
    p99.barh(names, [row["p50_ms"] for row in rows], color="#55a868", label="p50")
    p99.set_xlabel("latency, ms")
    p99.legend()
    p99.set_yticks([])
    p99.invert_yaxis()
    fig.suptitle(f"gunicorn, {WORKERS} workers, {CONCURRENCY} in flight, {SECONDS:.0f} s a target")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _print_table(rows: list[dict]) -> None:
    head = f"{'target':34} {'rps':>8} {'p50 ms':>8} {'p99 ms':>8} {'SQL/req':>8} {'peak MB':>8} {'x floor':>8} {'failed':>7}"
    print("\n" + head)
    for row in rows:
        queries = "-" if row["queries"] is None else f"{row['queries']:.1f}"
        print(
            f"{row['target']:34} {row['rps']:8.0f} {row['p50_ms']:8.1f} {row['p99_ms']:8.1f} "
            f"{queries:>8} {row['peak_mb']:8.0f} {row['ratio_to_floor']:8.0%} {row['failed']:7d}"
        )


def test_pages_under_load_against_the_floor(transactional_db: None, figures) -> None:
    call_command("seed_demo", products=PRODUCTS, verbosity=0)
    plans = [(target, target.plan()) for target in TARGETS]
    flush_broker()
    _flush_cache()
    RESULTS.mkdir(exist_ok=True)
    server = Server(RESULTS / "gunicorn.log")
    rows: list[dict] = []
    try:
        floor_rps = None
        for target, plan in plans:
            with PeakMemory(server) as memory:
                measured = _drive(server.base, plan)
            floor_rps = measured["rps"] if target.is_floor else floor_rps
            rows.append(
                {
                    "target": target.name,
                    "method": target.method,
                    "rps": round(measured["rps"], 1),
                    "p50_ms": round(measured["p50_ms"], 2),
                    "p99_ms": round(measured["p99_ms"], 2),
                    "queries": measured["queries_per_request"],
                    "peak_mb": round(memory.peak / 2**20, 1),
                    "ratio_to_floor": measured["rps"] / floor_rps if floor_rps else 0.0,
                    "floor_share_target": target.floor_share,
                    "requests": measured["requests"],
                    "failed": sum(measured["failures"].values()),
                    "failures": measured["failures"],
                }
            )
    finally:
        server.stop()
        _flush_cache()
        flush_broker()

    for row in rows:
        case = row["target"]
        figures.add(case, "requests/s", row["rps"], note=f"{row['requests']:,} requests")
        figures.add(case, "p50 latency", row["p50_ms"], "ms")
        figures.add(case, "p99 latency", row["p99_ms"], "ms")
        if row["queries"] is not None:
            figures.add(case, "SQL queries per request", round(row["queries"], 2))
        figures.add(case, "worker peak memory", row["peak_mb"], "MB")
        share = row["floor_share_target"]
        verdict = (
            ""
            if share is None
            else f"target {share:.0%} " + ("met" if row["ratio_to_floor"] >= share else "MISSED")
        )
        figures.add(case, "ratio to floor", round(row["ratio_to_floor"], 3), note=verdict)
        figures.add(case, "failed requests", row["failed"], note=str(row["failures"] or ""))
    (RESULTS / "http_load.json").write_text(
        json.dumps(
            {"workers": WORKERS, "concurrency": CONCURRENCY, "seconds": SECONDS, "rows": rows},
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    _chart(rows, RESULTS / "http_load.png")
    _print_table(rows)
    figures.note(f"chart: {RESULTS / 'http_load.png'}")

    assert all(row["failed"] == 0 for row in rows), [(r["target"], r["failures"]) for r in rows]
    if STRICT:
        for row in rows:
            share = row["floor_share_target"]
            assert share is None or row["ratio_to_floor"] >= share, row
