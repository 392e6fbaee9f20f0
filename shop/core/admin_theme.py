"""The admin's look, chosen in one place: every admin class in the project builds on these.

The theme is django-unfold (a maintained Tailwind theme for the Django admin, with a
sidebar, dark mode and per-request branding). Its base classes carry its widgets and
templates; `MerchantScopedAdmin`, `OperatorOnlyAdmin`, `ReadOnlyAdmin` and the inlines
inherit them from here, so changing or dropping the theme is this file and the settings.
"""

from django.contrib import admin
from unfold.admin import ModelAdmin, StackedInline, TabularInline
from unfold.widgets import (
    UnfoldAdminFileFieldWidget,
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminTextInputWidget,
)

# The theme's widgets, for form fields the admin classes declare themselves.
ThemedTextInput = UnfoldAdminTextInputWidget
ThemedNumberInput = UnfoldAdminIntegerFieldWidget
ThemedFileInput = UnfoldAdminFileFieldWidget  # its script expects the theme's markup


class ThemedModelAdmin(ModelAdmin):
    """The project's ModelAdmin base."""


class ThemedTabularInline(TabularInline):
    """The project's tabular inline base."""


class ThemedStackedInline(StackedInline):
    """The project's stacked inline base."""


def titled(title: str, base: type[admin.FieldListFilter]) -> type[admin.FieldListFilter]:
    """A list filter named in words: for fields without a verbose name of their own
    (reverse relations, other packages' models), which Django titles by the raw field name."""

    class Titled(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.title = title

    return Titled
