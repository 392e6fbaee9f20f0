"""The admin's look, chosen in one place: every admin class in the project builds on these.

The theme is django-unfold (a maintained Tailwind theme for the Django admin, with a
sidebar, dark mode and per-request branding). Its base classes carry its widgets and
templates; `MerchantScopedAdmin`, `OperatorOnlyAdmin`, `ReadOnlyAdmin` and the inlines
inherit them from here, so changing or dropping the theme is this file and the settings.
"""

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
