from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services
from .gateway import InvalidNotification, get_gateway


@csrf_exempt
@require_POST
def notify(request: HttpRequest, gateway: str) -> HttpResponse:
    """The provider's server-to-server notification. Verified by signature, not by CSRF."""
    provider = get_gateway()
    if gateway != provider.name:
        return HttpResponse(status=404)
    try:
        notification = provider.parse_notification(body=request.body, headers=request.headers)
    except InvalidNotification as error:
        return HttpResponse(str(error), status=400, content_type="text/plain")
    services.notification_handle(notification=notification)
    return HttpResponse("ok", content_type="text/plain")
