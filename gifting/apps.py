from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GiftingConfig(AppConfig):
    name = "gifting"
    verbose_name = _("Gifting")

    def ready(self) -> None:
        # The app registry must be ready before services (and its models) are imported.
        from shop.notices import kinds

        from . import services

        kinds.register("gift_reminder", services.reminder_context)
