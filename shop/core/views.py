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
    """Readiness: 503 naming what is unreachable, so the load balancer routes elsewhere;
    200 "degraded" when only something the node can serve without is down (the broker)."""
    checks = health.readiness()
    failed = [name for name, state in checks.items() if state != "ok"]
    required = [name for name in failed if name not in health.OPTIONAL]
    status = "unavailable" if required else "degraded" if failed else "ok"
    body = {"status": status, "failed": failed, "checks": checks}
    if "database" not in failed:
        # Items the periodic jobs parked for operators: a node with some is still ready.
        body["parked_job_items"] = jobs.parked_count()
    return JsonResponse(body, status=503 if required else 200)
