"""Helpers to drive Django admin forms through the test client as a browser would."""

from django import forms
from django.db.models import Model
from django.test import Client


def _value(value: object) -> object:
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [_value(v) for v in value]
    return "" if value is None else value


def _bound(form: object, data: dict) -> None:
    for bound in form:
        if isinstance(bound.field, forms.FileField):
            continue  # an empty file input sends no file
        value = bound.value()
        if bound.widget_type == "checkbox":
            if value:
                data[bound.html_name] = "on"
            continue
        data[bound.html_name] = _value(value)


def change_form_data(response: object) -> dict:
    """The POST body an admin add/change page would send as rendered (inlines included)."""
    data: dict = {}
    _bound(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _bound(formset.management_form, data)
        for form in formset.forms:
            _bound(form, data)
    return data


def messages_of(response: object) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def formset(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    """Management form and rows for an inline formset."""
    data = {f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": initial}
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def action(client: Client, url: str, name: str, ids: list[int], **extra: object) -> object:
    """Run a changelist action on `ids`, as the changelist's action form posts it."""
    return client.post(url, {"action": name, "_selected_action": ids, **extra})
