"""ENV_FILE and VAR_DIR: a second stack on the same checkout (the system tests' `make run`)
reads its own .env and keeps its SQLite file and file broker apart from the developer's."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SHOW = (
    "import json; from django.conf import settings as s; print(json.dumps({"
    "'db': str(s.DATABASES['default']['NAME']), 'site': s.SITE_URL, 'debug': s.DEBUG, "
    "'broker': s.CELERY_BROKER_TRANSPORT_OPTIONS, 'beat': s.CELERY_BEAT_SCHEDULE_FILENAME, "
    "'media': str(s.MEDIA_ROOT), 'static': str(s.STATIC_ROOT), "
    "'transport': s.CELERY_BROKER_TRANSPORT}))"
)


def _shell(code: str, **env: str) -> str:
    """The last line `code` prints in a bare `make run`'s setup (no DATABASE_URL, broker
    or cache URL) with `env`."""
    unset = {
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "CACHE_URL",
        "SITE_URL",
        "DEBUG",
        "ENV_FILE",
        "VAR_DIR",
    }
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    environment.update(SECRET_KEY="test-only-secret", **env)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def _settings(**env: str) -> dict:
    return json.loads(_shell(SHOW, **env))


def test_var_dir_holds_the_sqlite_file_the_file_broker_the_beat_schedule_and_uploads(
    tmp_path: Path,
) -> None:
    shown = _settings(VAR_DIR=str(tmp_path), ENV_FILE=str(tmp_path / "no-such-env"))
    broker = shown["broker"]
    assert shown["db"] == str(tmp_path / "db.sqlite3")
    assert {broker[k] for k in ("data_folder_in", "data_folder_out")} == {
        str(tmp_path / "celery-broker")
    }
    assert broker["processed_folder"] == str(tmp_path / "celery-processed")
    assert broker["control_folder"] == str(tmp_path / "celery-control")
    assert shown["beat"] == str(tmp_path / "celerybeat-schedule")
    assert shown["transport"] == "shop.core.broker:Transport"
    assert (shown["media"], shown["static"]) == (str(tmp_path / "media"), str(tmp_path / "static"))


def test_env_file_is_read_instead_of_the_projects_env_and_the_environment_still_wins(
    tmp_path: Path,
) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("DEBUG=1\nSITE_URL=https://from-the-env-file.example\n")
    assert _settings(ENV_FILE=str(env_file))["site"] == "https://from-the-env-file.example"
    shown = _settings(ENV_FILE=str(env_file), SITE_URL="https://from-the-environment.example")
    assert (shown["site"], shown["debug"]) == ("https://from-the-environment.example", True)


def test_the_embedded_cache_is_one_for_every_process_of_the_stack(tmp_path: Path) -> None:
    """What the worker caches or drops (a recompute landing, an import's progress) the web
    process sees, as with Redis."""
    stack = {"VAR_DIR": str(tmp_path), "ENV_FILE": str(tmp_path / "no-such-env")}
    cache = "from django.core.cache import cache; "
    _shell(cache + "cache.set('progress', 'from the worker', 60); print('set')", **stack)
    assert _shell(cache + "print(cache.get('progress'))", **stack) == "from the worker"
