"""The one base of the errors a service raises when a rule of the shop refuses an action.

Services raise a subclass; the edges map the base once: the partner API answers RFC 9457
problem details (`shop.api.problems`), pages show the message as a form error or a flash
message (`shop.core.pages`). So a new kind of refusal needs no new `except` anywhere, and
none of them can surface as a 500.
"""

from typing import ClassVar


class DomainError(Exception):
    """An action the shop's rules refuse; the message says why, to the person who tried.

    `code` is stable, for programs (the API sends it beside the problem `type`); `status`
    is the HTTP status it answers with: 409 when the current state does not allow the
    action, 422 when the input is not acceptable, 402 when the money is short. `field`
    names the input at fault, when there is one (the API reports it under `errors`).
    """

    code: ClassVar[str] = ""
    status: ClassVar[int] = 409
    field: ClassVar[str | None] = None


def domain_error_classes() -> list[type[DomainError]]:
    """Every subclass of DomainError defined so far (all of them, once apps are loaded)."""
    found: list[type[DomainError]] = []
    pending = list(DomainError.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: cls.code)
