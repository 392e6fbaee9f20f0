from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    """Values every page needs: the public site URL (for share links and emails)."""
    return {"SITE_URL": settings.SITE_URL}
