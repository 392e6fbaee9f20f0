from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """`manage.py seed_demo` and the demo shop it writes; no models of its own."""

    name = "shop.demo"
    label = "demo"
    verbose_name = _("Demo data")
