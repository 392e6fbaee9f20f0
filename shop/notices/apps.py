from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    """Emails and text messages to people, as rows sent once by the worker: a leaf below
    the domain (domain services call it; it imports no domain app)."""

    name = "shop.notices"
    label = "notices"
    verbose_name = _("Notices")
