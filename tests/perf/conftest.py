"""Shared fixtures for `make bench`: figures, real worker processes, CPU accounting.

Benchmarks record figures with the `figures` fixture; at the end of the run they are
printed as one table and written as JSON to tests/perf/results/ (git-ignored):
`<UTC timestamp>.json` and `latest.json`.

Isolation from `make test`, which may run at the same time on the same servers:
- the bench's test database is `test_<name>_perf`, not `test_<name>`;
- its broker is a Redis database of its own (the Makefile's BENCH_BROKER_URL), flushed
  before and after each use, since workers leave ETA retries and unacked messages behind.
"""

import json
import os
import platform
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings

from tests.workers import worker_command

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

_FIGURES: list[dict] = []
_NOTES: list[str] = []


# --- The bench's own test database --------------------------------------------------------


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """`test_<name>_perf`: a bench never drops the database of a `make test` running beside it."""
    for db in settings.DATABASES.values():
        test = db.setdefault("TEST", {})
        test["NAME"] = f"{test.get('NAME') or 'test_' + db['NAME']}_perf"


# --- Figures ------------------------------------------------------------------------------


@dataclass
class Figures:
    bench: str

    def add(self, case: str, metric: str, value: float, unit: str = "", note: str = "") -> None:
        _FIGURES.append(
            {
                "bench": self.bench,
                "case": case,
                "metric": metric,
                "value": value,
                "unit": unit,
                "note": note,
            }
        )

    def note(self, text: str) -> None:
        _NOTES.append(f"[{self.bench}] {text}")


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    return Figures(bench=request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_"))


def _format(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4f}" if abs(value) < 1 else f"{value:,.1f}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _FIGURES:
        return
    write = terminalreporter.write_line
    terminalreporter.section("benchmark figures")
    widths = [max(len(str(row[key])) for row in _FIGURES) for key in ("bench", "case", "metric")]
    for row in _FIGURES:
        cells = [
            str(row[key]).ljust(w)
            for key, w in zip(("bench", "case", "metric"), widths, strict=True)
        ]
        unit = f" {row['unit']}" if row["unit"] else ""
        note = f"  ({row['note']})" if row["note"] else ""
        write("  ".join(cells) + f"  {_format(row['value']):>12}{unit}{note}")
    for text in _NOTES:
        write(text)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report = {
        "when": stamp,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "commit": _commit(),
        "figures": _FIGURES,
        "notes": _NOTES,
    }
    for name in (f"{stamp}.json", "latest.json"):
        (RESULTS / name).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    write(f"Written to {RESULTS / (stamp + '.json')}")


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return ""


# --- The broker ---------------------------------------------------------------------------


def flush_broker() -> None:
    """Empty the bench's Redis database: queues, unacked and ETA messages of earlier runs."""
    import redis

    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        pytest.fail(f"make bench needs a Redis broker of its own (BENCH_BROKER_URL), got {url}")
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


def queue_lengths(*queues: str) -> dict[str, int]:
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        return {queue: client.llen(queue) for queue in queues}
    finally:
        client.close()


@pytest.fixture
def broker() -> Iterator[None]:
    flush_broker()
    yield
    flush_broker()


# --- Worker processes ---------------------------------------------------------------------


@dataclass
class Worker:
    name: str
    process: subprocess.Popen
    log: Path


@dataclass
class Workers:
    started: list[Worker] = field(default_factory=list)

    @property
    def pids(self) -> list[int]:
        return [w.process.pid for w in self.started]

    def assert_alive(self) -> None:
        for worker in self.started:
            assert worker.process.poll() is None, f"worker {worker.name} died; see {worker.log}"


@pytest.fixture
def perf_workers(
    transactional_db: None, django_db_blocker: object, broker: None
) -> Iterator[Callable[..., Workers]]:
    """`start(count, **env)`: real Celery workers (concurrency 1 each, like tests/conftest.py)
    on the bench's test database and broker; `env` is added to their environment only.

    Their output goes to tests/perf/results/worker-<n>.log. They are stopped (and the broker
    flushed) before the test database is flushed.
    """
    from django.db import connection

    from shop.celery import app

    db = connection.settings_dict
    workers = Workers()
    RESULTS.mkdir(exist_ok=True)

    def start(count: int, **extra_env: str) -> Workers:
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            **extra_env,
        }
        names = []
        for n in range(count):
            name = f"perf{n}-{uuid.uuid4().hex[:6]}@localhost"
            log = RESULTS / f"worker-{n}.log"
            process = subprocess.Popen(
                worker_command(name),
                cwd=ROOT,
                env=env,
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
            )
            workers.started.append(Worker(name, process, log))
            names.append(name)
        deadline = time.monotonic() + 60
        waiting = set(names)
        while waiting:
            for reply in app.control.ping(destination=sorted(waiting), timeout=0.5):
                waiting -= set(reply)
            workers.assert_alive()
            if waiting and time.monotonic() > deadline:
                pytest.fail(f"workers {sorted(waiting)} did not start within 60 s")
        return workers

    yield start

    for worker in workers.started:
        worker.process.terminate()
    for worker in workers.started:
        try:
            worker.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()


# --- CPU accounting -----------------------------------------------------------------------


def _proc_cpu(pid: int | str) -> tuple[str, float]:
    """(command name, user+system CPU seconds) of one process, or ("", 0) if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "", 0.0
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return name, (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _descendants(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children = task.read_text().split()
        except OSError:
            continue
        for child in children:
            found += _descendants(int(child))
    return found


def _run_queue_wait(pid: int) -> float:
    """Seconds the process was runnable but waiting for a CPU (/proc/PID/schedstat)."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def _is_backend_of(pid: str, database: str) -> bool:
    """A PostgreSQL backend serving `database` (its title: "postgres: … user db host …")."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return f" {database} " in title


def _machine_busy() -> float:
    """Seconds of CPU busy over all cores since boot."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / CLOCK_TICKS  # minus idle and iowait


class CpuMeter:
    """Where a run's CPU went: the workers (with their pool children), the PostgreSQL
    backends of the bench's database, Redis, this process, and everything else on the
    machine (`other`: PostgreSQL's background processes, other sessions); plus how long the
    workers were runnable but waiting for a CPU.

    Call `poll()` often during the run: Celery's Django fixup closes the database
    connection around every task, so backends come and go, and a backend's CPU can only be
    read while it lives (what it spends after the last poll is lost to `other`).
    """

    GROUPS = ("workers", "workers waiting for a CPU", "postgres", "redis", "bench")

    def __init__(self, worker_pids: list[int]) -> None:
        from django.db import connection

        self.worker_pids = worker_pids
        self.database = connection.settings_dict["NAME"]
        self.started = time.monotonic()
        self.busy_started = _machine_busy()
        self.first: dict[str, dict[int, float]] = self._sample()
        self.last: dict[str, dict[int, float]] = {g: dict(v) for g, v in self.first.items()}

    def _sample(self) -> dict[str, dict[int, float]]:
        groups: dict[str, dict[int, float]] = {group: {} for group in self.GROUPS}
        for pid in self.worker_pids:
            for child in _descendants(pid):
                groups["workers"][child] = _proc_cpu(child)[1]
                groups["workers waiting for a CPU"][child] = _run_queue_wait(child)
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            name, seconds = _proc_cpu(entry.name)
            if name.startswith("postgres") and _is_backend_of(entry.name, self.database):
                groups["postgres"][int(entry.name)] = seconds
            elif name.startswith("redis-server"):
                groups["redis"][int(entry.name)] = seconds
        groups["bench"] = {os.getpid(): _proc_cpu(os.getpid())[1]}
        return groups

    def poll(self) -> None:
        for group, values in self._sample().items():
            self.last[group].update(values)

    def spent(self) -> dict[str, float]:
        """CPU seconds per group since the meter started, plus wall, machine busy, other."""
        self.poll()
        spent = {
            group: sum(s - self.first[group].get(pid, 0.0) for pid, s in values.items())
            for group, values in self.last.items()
        }
        spent["wall"] = time.monotonic() - self.started
        spent["machine_busy"] = _machine_busy() - self.busy_started
        ours = sum(spent[k] for k in ("workers", "postgres", "redis", "bench"))
        spent["other"] = max(0.0, spent["machine_busy"] - ours)
        return spent


def load_average() -> float:
    return os.getloadavg()[0]
