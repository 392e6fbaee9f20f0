from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "shop.api"
    label = "api"
    verbose_name = _("Partner API")

    def ready(self) -> None:
        # Here and not at import: the builders read the models, loaded only once apps are.
        from . import webhook_payloads

        webhook_payloads.register()
