"""The pages a shopper comes back to from the provider, waiting for its notification.

The payment is decided by the provider's notification, which usually lands a moment after
the shopper's browser does. So the return page (the order's payment page, the gift's page)
refreshes itself every few seconds with `<meta http-equiv="refresh">`: no script, so the
strict Content-Security-Policy holds. Each refresh counts itself in the URL; after
PAYMENT_RETURN_WAIT_SECONDS' worth the page stops and says it is still waiting, with a way
to reload and an address to write to, rather than refresh forever.
"""

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils.encoding import escape_uri_path

REFRESH_SECONDS = 2
PARAM = "waited"


@dataclass(frozen=True)
class PaymentWait:
    seconds: int
    refresh_url: str  # the page again, one refresh on; "" once it stopped refreshing
    reload_url: str  # the page afresh: a reload starts the wait again
    support_email: str

    @property
    def gave_up(self) -> bool:
        return not self.refresh_url


def payment_wait(request: HttpRequest) -> PaymentWait:
    """How this page goes on while the payment is pending: refresh, or stop and say so."""
    raw = request.GET.get(PARAM, "")
    done = int(raw) if raw.isdigit() and len(raw) < 6 else 0
    refreshes = max(1, settings.PAYMENT_RETURN_WAIT_SECONDS // REFRESH_SECONDS)
    path = escape_uri_path(request.path)
    return PaymentWait(
        seconds=REFRESH_SECONDS,
        refresh_url=f"{path}?{PARAM}={done + 1}" if done < refreshes else "",
        reload_url=path,
        support_email=settings.SUPPORT_EMAIL,
    )
