"""The whole shop started as a developer starts it, `make run`, and what its processes log.

`make run` migrates, collects static files, loads seed_demo and starts web, worker and
beat from the Procfile under honcho. Here it runs in a process group of its own, with its
output (make's, seed_demo's and every process's, prefixed by honcho) captured to a file,
which `problems` reads for tracebacks and ERROR lines. Its .env and var/ (SQLite file,
file broker, beat schedule, media, static files) live in a directory of the test's
(ENV_FILE, VAR_DIR), never the developer's.
"""

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
# Short enough that a gift expires during the test, long enough to claim one in a browser.
ACCEPT_WINDOW_SECONDS = 20
EXPIRY_SWEEP_SECONDS = 3
SHORT_WINDOWS = {
    "GIFT_ACCEPT_WINDOW_SECONDS": str(ACCEPT_WINDOW_SECONDS),
    "GIFT_EXPIRY_SWEEP_SECONDS": str(EXPIRY_SWEEP_SECONDS),
    "REFUND_RESUME_AFTER_SECONDS": "5",
}
# Migrate, seed_demo and three processes starting, on a busy two-core machine.
START_TIMEOUT_SECONDS = 240
STOP_TIMEOUT_SECONDS = 20
# What a developer's shell would pass on; everything else (the suite's DATABASE_URL,
# DEBUG=0, MAKEFLAGS …) stays out, so the stack is configured only by its .env and `extra`.
PASSED_THROUGH = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TMPDIR", "TZ")
# Made in the project by the pytest run itself, not by the stack.
PYTEST_MADE = {".pytest_cache", "__pycache__"}
# honcho prefixes each process's lines: "15:38:04 worker.1 | text".
_HONCHO_LINE = re.compile(r"^\d\d:\d\d:\d\d (?P<process>\S+)\s+\| ?(?P<text>.*)$")
_WORKER_READY = re.compile(r"^\S+ worker\.1 +\|.* celery@\S+ ready\.$", re.MULTILINE)
_ERROR = re.compile(r"\b(ERROR|CRITICAL)\b")
_TRACEBACK_HEADERS = (
    "Traceback (most recent call last):",
    "The above exception was the direct cause",
    "During handling of the above exception",
)
# Parts of a log line that differ between repeats of the same problem.
_NOISE = re.compile(
    r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[,.]\d+"  # log timestamps
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # task ids
)


class StackError(Exception):
    """The stack did not start, or did not stop."""


@dataclass
class Response:
    status: int
    body: dict
    headers: dict = field(default_factory=dict)


def http(
    method: str, url: str, *, body: dict | None = None, headers: dict | None = None
) -> Response:
    """One JSON request; 4xx and 5xx are returned, not raised, so tests can report them."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=15) as answer:
            status, raw, answer_headers = answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        status, raw, answer_headers = error.code, error.read(), dict(error.headers)
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        parsed = {"text": raw.decode(errors="replace")[:2000]}
    return Response(status, parsed, answer_headers)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Stack:
    """A running `make run`: its address, environment, log and process group."""

    url: str
    env: dict[str, str] = field(repr=False)
    log: Path
    process: subprocess.Popen = field(repr=False)
    project_before: dict[str, float] = field(repr=False)

    @classmethod
    def start(cls, *, workdir: Path, port: int, extra: dict[str, str]) -> "Stack":
        """`make run` with PORT, ENV_FILE and VAR_DIR in `workdir`, the short windows and
        `extra` (DATABASE_URL, CELERY_BROKER_URL or nothing); returns once it is ready."""
        if not port_is_free(port):
            raise StackError(f"Port {port} is in use: the stack would not be the one answering.")
        env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
        env.update(
            PORT=str(port),
            ENV_FILE=str(workdir / "env"),
            VAR_DIR=str(workdir / "var"),
            **SHORT_WINDOWS,
            **extra,
        )
        log = workdir / "make-run.log"
        project_before = project_state()
        with log.open("wb") as output:
            process = subprocess.Popen(
                ["make", "--no-print-directory", "run"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        stack = cls(
            url=f"http://127.0.0.1:{port}",
            env=env,
            log=log,
            process=process,
            project_before=project_before,
        )
        try:
            stack._wait_until_ready()
        except BaseException:
            stack.stop()
            raise
        return stack

    def _wait_until_ready(self) -> None:
        """/readyz answers 200 (database, cache, broker) and the worker and beat are up."""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StackError(
                    f"`make run` exited with status {self.process.returncode} before the "
                    f"shop was ready:\n{self.tail()}"
                )
            if self._ready():
                return
            time.sleep(0.5)
        raise StackError(f"The shop was not ready within {START_TIMEOUT_SECONDS} s:\n{self.tail()}")

    def _ready(self) -> bool:
        text = self.output()
        if not _WORKER_READY.search(text) or "beat: Starting" not in text:
            return False
        try:
            return http("GET", f"{self.url}/readyz").status == 200
        except OSError:
            return False

    def stop(self) -> None:
        """SIGTERM to the group (make and honcho; honcho stops its processes, which run in
        sessions of their own), then SIGKILL whatever of it is left."""
        try:
            family = [psutil.Process(self.process.pid)]
            family += family[0].children(recursive=True)
        except psutil.NoSuchProcess:
            family = []
        with contextlib.suppress(ProcessLookupError):  # the group is gone already
            os.killpg(self.process.pid, signal.SIGTERM)
        _, alive = psutil.wait_procs(family, timeout=STOP_TIMEOUT_SECONDS)
        stuck = []
        for process in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                stuck.append(f"{process.pid} ({' '.join(process.cmdline()[:4])})")
                process.kill()
        self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        if stuck:
            raise StackError(
                f"Still running {STOP_TIMEOUT_SECONDS} s after SIGTERM, so killed: "
                + ", ".join(stuck)
            )

    def manage(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """`python manage.py …` as an operator runs it beside the stack: same environment."""
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.output().splitlines()[-lines:]) + f"\n(whole log: {self.log})"

    def problems(self) -> list[str]:
        return problems(self.output())

    def problems_report(self) -> str:
        found = self.problems()
        if not found:
            return "The stack logged no tracebacks or ERROR lines."
        shown = found[:25]
        more = f"\n  … and {len(found) - len(shown)} more" if len(found) > len(shown) else ""
        return (
            f"The stack logged {len(found)} distinct problems (whole log: {self.log}):\n  "
            + "\n  ".join(shown)
            + more
        )


def project_state() -> dict[str, float]:
    """The project's top-level names, and the modification times of the developer's .env
    and of everything in their var/: what a stack must leave alone."""
    state = {entry.name: 0.0 for entry in ROOT.iterdir() if entry.name not in PYTEST_MADE}
    for path in [ROOT / ".env", *(ROOT / "var").rglob("*")]:
        if path.is_file():
            state[str(path.relative_to(ROOT))] = path.stat().st_mtime
    return state


def problems(output: str) -> list[str]:
    """Every ERROR/CRITICAL line, every traceback (by its exception line) and every process
    honcho saw stop, in `output`, each once with how often it recurred: "worker.1: … (×12)"."""
    found: Counter[str] = Counter()
    in_traceback: set[str] = set()
    for line in output.splitlines():
        match = _HONCHO_LINE.match(line)
        process, text = (match["process"], match["text"]) if match else ("make", line)
        if text.startswith(_TRACEBACK_HEADERS):
            in_traceback.add(process)
            continue
        if process in in_traceback:
            if not text.strip() or text[0].isspace():
                continue
            in_traceback.discard(process)
            found[f"{process}: traceback: {_NOISE.sub('…', text)[:300]}"] += 1
            continue
        if _ERROR.search(text) or (process == "system" and " stopped (rc=" in text):
            # An exception's repr may go on past an escaped newline with details that
            # differ each time (psycopg's "Failing row contains (<new id>, …)").
            first_line, *rest = text.split("\\n", 1)
            found[f"{process}: {_NOISE.sub('…', first_line)[:300]}{' …' if rest else ''}"] += 1
    return [f"{line} (×{count})" if count > 1 else line for line, count in found.items()]


def assert_reconciled_and_quiet(stack: Stack) -> None:
    """What ends every run: `manage.py reconcile` (same environment) finds the ledger and
    the providers' books agreeing, and no process logged a traceback or an ERROR line."""
    assert stack.process.poll() is None, f"`make run` stopped early:\n{stack.tail()}"
    reconcile = stack.manage("reconcile")
    problems_found = stack.problems()
    assert reconcile.returncode == 0 and not problems_found, (
        f"manage.py reconcile exited {reconcile.returncode}:\n"
        f"{reconcile.stdout}{reconcile.stderr}\n{stack.problems_report()}"
    )


def assert_the_project_is_untouched(stack: Stack) -> None:
    """The stack kept to its own ENV_FILE and VAR_DIR: nothing new in the project, and the
    developer's .env and var/ unchanged."""
    before, after = stack.project_before, project_state()
    changed = sorted(
        f"{name} (new)" if name not in before else f"{name} (changed)"
        for name in after
        if before.get(name) != after[name]
    )
    changed += sorted(f"{name} (gone)" for name in before.keys() - after.keys())
    assert not changed, f"The stack wrote into the project {ROOT}: {', '.join(changed)}"
