from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health, jobs


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else (a restart would not fix those)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 503 naming what is unreachable, so the load balancer routes elsewhere."""
    checks = health.readiness()
    failed = [name for name, state in checks.items() if state != "ok"]
    body = {"status": "unavailable" if failed else "ok", "failed": failed, "checks": checks}
    if "database" not in failed:
        # Items the periodic jobs parked for operators: a node with some is still ready.
        body["parked_job_items"] = jobs.parked_count()
    return JsonResponse(body, status=503 if failed else 200)
