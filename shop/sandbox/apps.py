from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxConfig(AppConfig):
    """A built-in payment provider for development and tests. It plays the outside world."""

    name = "shop.sandbox"
    label = "sandbox"
    verbose_name = _("Sandbox payment provider")
