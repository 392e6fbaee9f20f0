"""The notice and the erase button as self-contained pieces, for the forms that need them."""

from django import template
from django.conf import settings

from ..consent import notice_current
from ..selectors import parcel_done
from ..services import is_purged

register = template.Library()


@register.inclusion_tag("privacy/_claim_notice.html")
def claim_notice(merchant: object) -> dict:
    """Who receives the recipient's address, for what, for how long (PIPL art. 17, 23)."""
    return {"merchant": merchant, "days": settings.PRIVACY_RETENTION_DAYS}


@register.inclusion_tag("privacy/_signup_notice.html")
def signup_notice() -> dict:
    return {"notice": notice_current()}


@register.inclusion_tag("privacy/_claim_erase.html", takes_context=True)
def claim_erase(context: template.Context, claim: object) -> dict:
    """A delivered (or ended) gift's recipient may erase their details early."""
    request = context["request"]
    return {
        "claim": claim,
        "erased": is_purged(claim),
        "done": parcel_done(claim.order),
        "token": request.resolver_match.kwargs.get("token", ""),
        "csrf_token": context.get("csrf_token"),
    }
