"""Suite-wide fixtures. The suite runs on PostgreSQL only: SQLite would hide locking bugs."""

import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.workers import private_broker, worker_command  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql":
        pytest.exit(
            "The test suite runs on PostgreSQL. Set DATABASE_URL=postgres://… "
            f"(got {engine}); `make test` does this for you.",
            returncode=2,
        )
    _require_postgres(settings.DATABASES["default"])


def _require_postgres(db: dict) -> None:
    """Fail loudly, not with a hundred confusing errors, when PostgreSQL is down."""
    import psycopg

    try:
        psycopg.connect(
            dbname="postgres",
            user=db["USER"] or None,
            password=db["PASSWORD"] or None,
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            connect_timeout=5,
        ).close()
    except psycopg.OperationalError as error:
        pytest.exit(f"PostgreSQL is not reachable at {db['HOST']}:{db['PORT']}: {error}", 2)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined, operator]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: object) -> None:
    """Argon2 is slow by design (tests/shop/core/test_security.py checks it is configured);
    the suite makes hundreds of users, so it hashes their passwords with MD5."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with empty caches: no cached pages, fragments or throttle counts."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _collected_static() -> None:
    """With DEBUG off, pages use hashed static names from the manifest, as in production."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(scope="session")
def celery_worker_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the worker writes its log: JSON lines, INFO and up."""
    return tmp_path_factory.mktemp("celery") / "worker.log"


@pytest.fixture(scope="session")
def celery_worker_session(
    django_db_setup: None, django_db_blocker: object, celery_worker_log: Path
) -> Iterator[subprocess.Popen]:
    """A real Celery worker in its own process, on the test database and the test broker.

    Celery behaviour is tested against a worker, never eager mode: acks, retries and
    redelivery only exist there. Started once per session; see `celery_worker`. It
    consumes every queue, as `make run`'s worker does.
    """
    from django.db import connection

    from shop.celery import app

    broker = settings.CELERY_BROKER_URL
    if broker.startswith("filesystem://"):
        pytest.fail(
            "Celery tests need a real broker: set CELERY_BROKER_URL (make test uses Redis)."
        )
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
            app.control.purge(connection=conn)
    except Exception as error:
        pytest.fail(f"The Celery broker {broker} is not reachable: {error}")

    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": broker,
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
    }
    name = f"test-{uuid.uuid4().hex[:8]}@localhost"
    process = subprocess.Popen(
        worker_command(name),
        cwd=ROOT,
        env=env,
        stdout=celery_worker_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while not app.control.ping(destination=[name], timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"The Celery worker did not start within 30 s; see {celery_worker_log}")
    yield process
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def celery_worker(
    celery_worker_session: subprocess.Popen, transactional_db: None
) -> subprocess.Popen:
    """The shared worker, for a test whose data is committed so the worker can see it."""
    assert celery_worker_session.poll() is None, "the Celery worker died (celery_worker_log)"
    return celery_worker_session


def wait_until(condition: Callable[[], bool], timeout: float = 20.0, interval: float = 0.1) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
