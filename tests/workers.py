"""The command line of a real Celery worker, as the suite, the bench and the crash tests
start one: one process, every queue, no gossip (tests start and stop workers often)."""

import sys

from django.conf import settings


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
