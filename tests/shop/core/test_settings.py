import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_deploy_checks_pass_in_production_mode() -> None:
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="shop.example.com",
        SECURE_SSL_REDIRECT="1",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_mode_refuses_to_start_without_a_secret_key() -> None:
    result = _manage("check", DEBUG="0", SECRET_KEY="")
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_media_goes_to_object_storage_when_configured() -> None:
    result = _manage(
        "shell",
        "-c",
        "from django.core.files.storage import storages; s = storages['default']; "
        "print(type(s).__name__, s.bucket_name, s.endpoint_url)",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        MEDIA_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="giftshop-media",
        AWS_S3_ENDPOINT_URL="https://oss-cn-hangzhou.aliyuncs.com",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "S3Storage",
        "giftshop-media",
        "https://oss-cn-hangzhou.aliyuncs.com",
    ]


def test_a_malformed_trusted_proxy_stops_the_start() -> None:
    result = _manage("check", DEBUG="1", TRUSTED_PROXIES="10.0.0.0/8,balancer.internal")
    assert result.returncode != 0
    assert "TRUSTED_PROXIES" in result.stderr
    assert "balancer.internal" in result.stderr
