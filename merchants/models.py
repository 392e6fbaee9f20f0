from django.db import models
from django.utils.translation import gettext_lazy as _

from shop.core.i18n import pick_language


class Merchant(models.Model):
    """A shop on the platform. Every product, and so every order line, belongs to one merchant."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(_("shop name"), max_length=100, unique=True)
    name_en = models.CharField(_("shop name (English)"), max_length=100, blank=True)
    slug = models.SlugField(unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return pick_language(self.name, self.name_en)
