"""Gunicorn, the production WSGI server: `gunicorn -c deploy/gunicorn.conf.py shop.wsgi`.

Every value can be set from the environment, so one file serves each web node.
"""

import gc
import multiprocessing
import os

wsgi_app = "shop.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Processes: about two per core. Threads let a process overlap waits on PostgreSQL and
# Redis, and keep connections alive behind a proxy.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
keepalive = 5
# Load the application once in the master: workers start ready and share its memory.
preload_app = True
# A request running longer than this is killed and its worker replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Recycle workers now and then, so a slow leak never grows into an outage.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = 1000
# The load balancer or proxy in front (nginx, a cloud LB) sets X-Forwarded-*: by default
# the same proxies the application trusts (TRUSTED_PROXIES, shop/core/client.py).
forwarded_allow_ips = (
    os.environ.get("FORWARDED_ALLOW_IPS") or os.environ.get("TRUSTED_PROXIES") or "127.0.0.1"
)
# Logs to stdout/stderr for the process manager; the application's own logs are JSON.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
# Managed by signals (systemd, the platform), not gunicorn's control socket, which would be
# one path in $HOME shared by every instance on the machine.
control_socket_disable = True


def when_ready(server: object) -> None:
    """Freeze what the master loaded (the application, search's dictionaries) before the
    workers fork: the garbage collector then never writes to those objects in a worker,
    so their pages stay shared instead of being copied into every worker (a worker's
    proportional memory went from about 175 MB to 147 MB)."""
    gc.collect()
    gc.freeze()
