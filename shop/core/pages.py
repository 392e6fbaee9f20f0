"""Domain errors on pages, in one place: a form's error, or a message on the next page.

Both are context managers that end the block at the refusal and let the view go on, so a
view returns its success response inside the block and its fallback after it:

    with errors_on_form(form):
        gift = services.gift_create(...)
        return redirect(gift)
    return render(request, "send.html", {"form": form})
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from .errors import DomainError


@contextmanager
def errors_on_form(form: forms.BaseForm) -> Iterator[None]:
    """A refusal (or a model's own checks failing) as the form's non-field error."""
    try:
        yield
    except DomainError as error:
        form.add_error(None, str(error))
    except ValidationError as error:
        form.add_error(None, error.messages)


@contextmanager
def errors_as_messages(request: HttpRequest) -> Iterator[None]:
    """A refusal as an error message, for actions that have no form to show it on."""
    try:
        yield
    except DomainError as error:
        messages.error(request, str(error))
