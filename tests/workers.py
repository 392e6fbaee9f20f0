"""Real Celery processes for the tests: the worker's command line (as the suite, the bench
and the crash tests start one: one process, every queue, no gossip, since tests start and
stop workers often), a dedicated worker or beat with its own environment, and a private
broker that can be stopped and started at will.

A test that kills a worker or stops the broker gets a broker of its own (`private_broker`):
on the suite's broker the shared worker consumes every task, so there would be no telling
which worker took one, and killing it would disturb other tests.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def worker_command(name: str, *, loglevel: str = "WARNING") -> list[str]:
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "shop",
        "worker",
        "-n",
        name,
        "--concurrency=1",
        "--queues=" + ",".join(settings.TASK_QUEUES),
        f"--loglevel={loglevel}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]


def database_url() -> str:
    db = connection.settings_dict  # the test database, as tests/conftest.py builds it
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def process_env(broker: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker,
        "PYTHONPATH": str(ROOT),
        "SITE_URL": "http://127.0.0.1:9",  # the discard port: notifications fail at once
        **extra,
    }


def log_tail(path: Path, lines: int = 30) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


class Worker:
    """A dedicated `celery worker` process in its own process group (so that it can be
    killed with its pool children), logging to a file in the test's tmp_path."""

    def __init__(self, tmp_path: Path, broker: str, **env: str) -> None:
        from shop.celery import app

        self.name = f"gift-{uuid.uuid4().hex[:8]}@localhost"
        self.log = tmp_path / f"{self.name.split('@')[0]}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                worker_command(self.name, loglevel="INFO"),
                cwd=tmp_path,
                env=process_env(broker, **env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while not app.control.ping(destination=[self.name], timeout=0.5):
            if self.process.poll() is not None or time.monotonic() > deadline:
                if self.process.poll() is None:
                    self.kill()
                pytest.fail(f"worker {self.name} did not start:\n{log_tail(self.log)}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once: no cleanup, no acks."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown: the pool children exit with it
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A throwaway broker: `redis-server` without persistence, stopped and started at will."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.dir = tmp_path
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        deadline = time.monotonic() + 10
        while not answers():
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # in case a test left it paused
            self.process.terminate()
            self.process.wait(timeout=10)


@contextmanager
def publish_to(url: str, settings: object) -> Iterator[None]:
    """Point this process's Celery app at another broker, and back afterwards.

    Celery's `conf.broker_url` is `os.environ["CELERY_BROKER_URL"]` when that is set (as
    it is for the test run), so setting `app.conf.broker_url` alone changes nothing: the
    variable is switched, and the app's cached connection and producer pools dropped.
    """
    from shop.celery import app

    def drop_pools() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    saved = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = url
    settings.CELERY_BROKER_URL = url  # type: ignore[attr-defined]
    drop_pools()
    assert app.conf.broker_url == url
    try:
        yield
    finally:
        app.pool.force_close_all()  # the private broker's pool only
        if saved is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved
        drop_pools()


@pytest.fixture
def private_broker(
    transactional_db: None, settings: object, tmp_path: Path
) -> Iterator[PrivateRedis]:
    """A private, running broker that this process publishes to for the test."""
    broker = PrivateRedis(tmp_path)
    broker.start()
    try:
        with publish_to(broker.url, settings):
            yield broker
    finally:
        broker.stop()


def start_beat(tmp_path: Path, broker: str, **env: str) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / "beat.log"
    with log.open("wb") as out:
        beat = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "shop",
                "beat",
                "--schedule",
                str(tmp_path / "beat-schedule"),
                "--loglevel=INFO",
            ],
            cwd=tmp_path,
            env=process_env(broker, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return beat, log
