"""The cluster on one machine, from real parts: two gunicorn web nodes behind HAProxy, a
Celery worker per queue on RabbitMQ, one beat, the PostgreSQL primary and a streaming
replica on 5433 (deploy/cluster/replica.sh), the shared Redis cache, and a local webhook
receiver. Each process runs in a session of its own, its output in a log of the run's
directory, so a fault can SIGKILL exactly one of them (and its children).

Sizes and addresses come from the environment (`Config.from_env`), defaulting to the
issue's numbers; develop with small ones (SCALE_GIFTS=100 SCALE_CLAIMS=50 …).
"""

import contextlib
import json
import os
import secrets
import signal
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "cluster"
PASSED_THROUGH = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TMPDIR", "TZ")
# One worker per queue set (shop/settings.py TASK_QUEUES and CELERY_TASK_ROUTES).
WORKER_QUEUES = {"refunds": 1, "webhooks": 2, "emails": 1, "celery": 1}
START_TIMEOUT_SECONDS = 120


class ClusterError(Exception):
    """A part of the cluster did not start, stop or answer."""


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


@dataclass(frozen=True)
class Config:
    gifts: int
    claims: int
    checkouts: int
    shoppers: int
    concurrency: int
    accept_window: int
    replica_pause: int
    broker_pause: int
    port_base: int
    database_url: str
    replica_port: int
    broker_url: str
    cache_url: str
    workdir: Path

    @classmethod
    def from_env(cls) -> "Config":
        workdir = os.environ.get("SCALE_DIR") or tempfile.mkdtemp(prefix="giftshop-scale-")
        return cls(
            gifts=_env_int("SCALE_GIFTS", 2000),
            claims=_env_int("SCALE_CLAIMS", 1000),
            checkouts=_env_int("SCALE_CHECKOUTS", 40),
            shoppers=_env_int("SCALE_SHOPPERS", 4),
            concurrency=_env_int("SCALE_CONCURRENCY", 8),
            # Long enough to claim half the gifts while the rest are still being sent.
            accept_window=_env_int("SCALE_ACCEPT_WINDOW_SECONDS", 180),
            replica_pause=_env_int("SCALE_REPLICA_PAUSE_SECONDS", 30),
            broker_pause=_env_int("SCALE_BROKER_PAUSE_SECONDS", 5),
            port_base=_env_int("SCALE_PORT_BASE", 8300),
            database_url=os.environ.get(
                "SCALE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/giftshop_cluster_scale"
            ),
            replica_port=_env_int("SCALE_REPLICA_PORT", 5433),
            broker_url=os.environ.get(
                "SCALE_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/giftshop_cluster"
            ),
            cache_url=os.environ.get("SCALE_CACHE_URL", "redis://127.0.0.1:6379/10"),
            workdir=Path(workdir),
        )

    @property
    def balancer(self) -> str:
        return f"http://127.0.0.1:{self.port_base}"

    def node_port(self, node: int) -> int:
        return self.port_base + node  # node 1 → 8301, node 2 → 8302

    @property
    def receiver_port(self) -> int:
        return self.port_base + 3

    @property
    def stats_port(self) -> int:
        return self.port_base + 99

    @property
    def replica_url(self) -> str:
        parts = urlsplit(self.database_url)
        return parts._replace(netloc=f"{parts.username}@127.0.0.1:{self.replica_port}").geturl()

    @property
    def on_rabbitmq(self) -> bool:
        return self.broker_url.startswith(("amqp://", "pyamqp://"))

    @property
    def vhost(self) -> str:
        return urlsplit(self.broker_url).path.lstrip("/") or "/"


@dataclass
class Process:
    """One process of the cluster, in its own session (so its children die with it)."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(repr=False)
    log: Path
    popen: subprocess.Popen | None = field(default=None, repr=False)
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as output:
            output.write(f"\n=== start {self.starts} at {time.time():.3f}\n".encode())
            output.flush()
            self.popen = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, signum: int) -> None:
        if self.popen is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signum)

    def kill(self) -> None:
        """SIGKILL to the whole session: the master and its workers, no goodbye."""
        self.signal(signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait(timeout=20)

    def stop(self, timeout: float = 20) -> None:
        if not self.alive():
            return
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        # Children left in the session (gunicorn workers, celery's pool) go with it.
        self.signal(signal.SIGKILL)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def get(url: str, timeout: float = 3) -> int | None:
    """The status of a GET, or None when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def wait_for(what: str, ready: object, timeout: float = START_TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():  # type: ignore[operator]
            return
        time.sleep(0.5)
    raise ClusterError(f"{what} was not ready within {timeout:.0f} s")


class Cluster:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.workdir = config.workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.env = self._environment()
        self.processes: dict[str, Process] = {}

    def _environment(self) -> dict[str, str]:
        c = self.config
        env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
        env.update(
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(40),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SITE_URL=c.balancer,
            CSRF_TRUSTED_ORIGINS=c.balancer,
            SECURE_SSL_REDIRECT="0",
            SESSION_COOKIE_SECURE="0",
            CSRF_COOKIE_SECURE="0",
            SECURE_HSTS_SECONDS="0",
            TRUSTED_PROXIES="127.0.0.1",
            ENV_FILE=str(self.workdir / "env"),
            VAR_DIR=str(self.workdir / "var"),
            DATABASE_URL=c.database_url,
            DATABASE_REPLICA_URL=c.replica_url,
            CONN_MAX_AGE="60",
            CELERY_BROKER_URL=c.broker_url,
            CACHE_URL=c.cache_url,
            LOG_LEVEL="WARNING",
            WEB_CONCURRENCY=os.environ.get("SCALE_WEB_CONCURRENCY", "2"),
            GUNICORN_THREADS="4",
            GUNICORN_ACCESS_LOG="",
            WEBHOOK_ALLOW_INSECURE="1",
            WEBHOOK_RETRY_BASE_SECONDS="2",
            WEBHOOK_SWEEP_SECONDS="3",
            GIFT_ACCEPT_WINDOW_SECONDS=str(c.accept_window),
            GIFT_EXPIRY_SWEEP_SECONDS="5",
            GIFT_REMINDER_BEFORE_SECONDS="1",
            REFUND_RESUME_AFTER_SECONDS="20",
            JOB_RETRY_BASE_SECONDS="5",
            # Two brands sending 2,000 gifts in a couple of minutes: above the default.
            API_RATE_LIMIT="100000/min",
            PAGE_CACHE_SECONDS="1",
            PYTHONUNBUFFERED="1",
        )
        (self.workdir / "var").mkdir(exist_ok=True)
        (self.workdir / "env").write_text("")
        return env

    # --- one-off steps ------------------------------------------------------------------
    def _run(self, argv: list[str], timeout: float) -> subprocess.CompletedProcess:
        return subprocess.run(
            argv, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def run(self, *argv: str, timeout: float = 600) -> str:
        done = self._run(list(argv), timeout)
        if done.returncode != 0:
            raise ClusterError(
                f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout[-3000:]}"
                f"\n{done.stderr[-3000:]}"
            )
        return done.stdout

    def manage_status(self, *args: str, timeout: float = 600) -> tuple[int, str]:
        """(exit status, output) of `manage.py …`, for a command whose status is the test."""
        done = self._run([sys.executable, "manage.py", *args], timeout)
        return done.returncode, done.stdout + done.stderr

    def manage(self, *args: str, timeout: float = 600) -> str:
        return self.run(sys.executable, "manage.py", *args, timeout=timeout)

    def replica(self, action: str) -> None:
        env = {**self.env, "REPLICA_PORT": str(self.config.replica_port)}
        env["REPLICA_DIR"] = os.environ.get("SCALE_REPLICA_DIR", "/tmp/giftshop-cluster-replica")
        done = subprocess.run(
            [str(DEPLOY / "replica.sh"), action], env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise ClusterError(f"replica.sh {action}: {done.stdout}{done.stderr}")

    def _fresh_database(self) -> None:
        parts = urlsplit(self.config.database_url)
        name = parts.path.lstrip("/")
        with psycopg.connect(
            host=parts.hostname,
            port=parts.port or 5432,
            user=parts.username,
            dbname="postgres",
            autocommit=True,
        ) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')

    def _fresh_broker(self) -> None:
        """A vhost of the campaign's own, made anew (so no message of an earlier run
        remains); on Redis, its database flushed."""
        if self.config.on_rabbitmq:
            vhost = self.config.vhost
            user = urlsplit(self.config.broker_url).username or "guest"
            subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True)
            self.run("rabbitmqctl", "-q", "add_vhost", vhost)
            self.run("rabbitmqctl", "-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        else:
            redis.Redis.from_url(self.config.broker_url).flushdb()

    def prepare(self) -> dict:
        """Fresh database, replica, broker and cache; schema, catalogue and the campaign's
        brands, shoppers and webhook endpoints. Returns what tests.scale.setup_data made."""
        if not subprocess.run(["which", "haproxy"], capture_output=True).returncode == 0:
            raise ClusterError("HAProxy is missing: apt-get install haproxy (.ci/run does).")
        self._fresh_database()
        self._fresh_broker()
        redis.Redis.from_url(self.config.cache_url).flushdb()
        self.replica("destroy")
        self.replica("start")
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("collectstatic", "--noinput", "-v", "0")
        self.manage("seed_demo", "--gifts", "0")
        out = self.run(
            sys.executable,
            "-m",
            "tests.scale.setup_data",
            str(self.config.shoppers),
            f"http://127.0.0.1:{self.config.receiver_port}",
        )
        return json.loads(out.strip().splitlines()[-1])

    # --- the long-running processes ------------------------------------------------------
    def _process(self, name: str, *argv: str) -> Process:
        process = Process(name, list(argv), self.env, self.workdir / f"{name}.log")
        self.processes[name] = process
        return process

    def node(self, number: int) -> Process:
        return self.processes[f"web{number}"]

    def worker(self, queue: str) -> Process:
        return self.processes[f"worker-{queue}"]

    def start(self) -> None:
        c = self.config
        celery = str(Path(sys.executable).with_name("celery"))
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self._process(
            "receiver",
            sys.executable,
            "-m",
            "tests.scale.receiver",
            str(c.receiver_port),
            str(self.workdir / "webhooks.jsonl"),
        )
        for number in (1, 2):
            node = self._process(f"web{number}", gunicorn, "-c", "deploy/gunicorn.conf.py")
            node.env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{c.node_port(number)}"}
        for queue, concurrency in WORKER_QUEUES.items():
            self._process(
                f"worker-{queue}",
                celery,
                "-A",
                "shop",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={concurrency}",
                "-Q",
                queue,
                "-n",
                f"{queue}@%h",
                "--without-gossip",
                "--without-mingle",
            )
        self._beat(1)
        self._process("haproxy", "haproxy", "-W", "-db", "-f", str(self._haproxy_config()))
        for process in self.processes.values():
            process.start()
        self.wait_ready()

    def _beat(self, number: int) -> Process:
        return self._process(
            f"beat{number}" if number > 1 else "beat",
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "shop",
            "beat",
            "--loglevel=INFO",
            f"--schedule={self.workdir / f'beat{number}-schedule'}",
        )

    def second_beat(self) -> Process:
        """An operator's mistake: another beat beside the first (see deploy/cluster/README)."""
        beat = self._beat(2)
        beat.start()
        return beat

    def _haproxy_config(self) -> Path:
        c = self.config
        servers = "\n".join(f"    server node{n} 127.0.0.1:{c.node_port(n)} check" for n in (1, 2))
        text = string.Template((DEPLOY / "haproxy.cfg").read_text()).substitute(
            pidfile=self.workdir / "haproxy.pid",
            balancer_port=c.port_base,
            stats_port=c.stats_port,
            servers=servers,
        )
        path = self.workdir / "haproxy.cfg"
        path.write_text(text)
        return path

    def node_ready(self, number: int) -> bool:
        return get(f"http://127.0.0.1:{self.config.node_port(number)}/readyz") == 200

    def balancer_sees(self, number: int) -> bool:
        """HAProxy has node `number` UP (its stats CSV)."""
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.config.stats_port}/;csv", timeout=3
            ) as answer:
                rows = answer.read().decode().splitlines()
        except OSError:
            return False
        return any(row.startswith(f"web,node{number},") and ",UP," in row for row in rows)

    def worker_ready(self, queue: str) -> bool:
        process = self.worker(queue)
        last_start = process.output().rsplit(f"=== start {process.starts} ", 1)[-1]
        return " ready." in last_start

    def wait_ready(self) -> None:
        for number in (1, 2):
            wait_for(f"web node {number}", lambda n=number: self.node_ready(n))
            wait_for(
                f"the balancer's view of node {number}", lambda n=number: self.balancer_sees(n)
            )
        for queue in WORKER_QUEUES:
            wait_for(f"the {queue} worker", lambda q=queue: self.worker_ready(q))
        wait_for("beat", lambda: "beat: Starting" in self.processes["beat"].output())
        wait_for(
            "the webhook receiver",
            lambda: get(f"http://127.0.0.1:{self.config.receiver_port}/") == 200,
        )

    def restart(self, process: Process, ready: object) -> None:
        process.start()
        wait_for(process.name, ready)

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()
        with contextlib.suppress(ClusterError):
            self.replica("destroy")

    # --- the broker ----------------------------------------------------------------------
    def restart_broker(self) -> None:
        """`rabbitmqctl stop_app`, a pause, `start_app`: the broker application restarts
        (every connection dropped, durable queues recovered from disk), while the Erlang
        node (and its management of other vhosts' users) stays, which is what a package
        upgrade or a `systemctl restart` amounts to for clients."""
        self.run("rabbitmqctl", "-q", "stop_app")
        time.sleep(self.config.broker_pause)
        self.run("rabbitmqctl", "-q", "start_app")
        self.run("rabbitmqctl", "-q", "await_startup")
