"""The text-message interface: one `send` per message, a backend named by SMS_BACKEND.

A backend raises `SmsError` for a try that may go through later (the provider is busy,
rate-limited or unreachable: retried with backoff) and `SmsRefused` for one that never
will as it stands (a number or template the provider refuses, keys it does not accept):
that notice is parked at once for an operator, who retries it after fixing the cause.
"""

from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


class SmsError(Exception):
    """This try failed; a later one may not."""


class SmsRefused(SmsError):
    """The provider refused the message for a reason that retrying does not change."""


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str
    kind: str
    language: str
    reference: str  # our key: the provider keeps it beside its own id (OutId)
    params: dict[str, str] = field(default_factory=dict)


class SmsBackend:
    def send(self, message: SmsMessage) -> str:
        """Send one message; returns the provider's id for it."""
        raise NotImplementedError


@cache
def _backend_class(path: str) -> type[SmsBackend]:
    return import_string(path)


def get_backend() -> SmsBackend:
    return _backend_class(settings.SMS_BACKEND)()
