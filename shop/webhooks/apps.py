from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    """No models of its own (events, endpoints and deliveries belong to partners); an app
    so that Celery finds its tasks."""

    name = "shop.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")
