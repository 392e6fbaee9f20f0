from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryAddress(models.Model):
    """A delivery address copied onto what ships (an order, a gift claim), in the Chinese
    format; later edits to an address book never move a parcel already on its way."""

    recipient_name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=11)
    province = models.CharField(_("province"), max_length=20)
    city = models.CharField(_("city"), max_length=50)
    district = models.CharField(_("district"), max_length=50)
    street = models.CharField(_("address"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=6, blank=True)

    class Meta:
        abstract = True


class JobItem(models.Model):
    """An item a periodic job could not process: retried with backoff, then parked.

    A sweep that walks rows (gifts to expire, refunds to resume, deliveries to send) never
    lets one bad row stop the others: the row's failure is recorded here, the sweep skips it
    until `retry_at`, and after `JOB_MAX_ATTEMPTS` it waits for an operator ("needs
    attention"), who sees the error in the admin and can retry it. The row is deleted when
    the item next succeeds. Written only by `shop.core.jobs`.
    """

    class Status(models.TextChoices):
        RETRYING = "retrying", _("Retrying")
        PARKED = "parked", _("Needs attention")

    job = models.CharField(_("job"), max_length=50)
    item_id = models.BigIntegerField(_("item"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RETRYING
    )
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    error = models.TextField(_("last error"))
    first_failed_at = models.DateTimeField(_("first failed at"))
    last_failed_at = models.DateTimeField(_("last failed at"))
    retry_at = models.DateTimeField(_("next try"), null=True, blank=True)

    class Meta:
        verbose_name = _("job item needing attention")
        verbose_name_plural = _("job items needing attention")
        ordering = ["-last_failed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["job", "item_id"], name="job_item_once"),
            models.CheckConstraint(condition=models.Q(attempts__gte=1), name="job_item_failed"),
            # Retrying items have a next try; parked ones wait for an operator.
            models.CheckConstraint(
                condition=models.Q(status="retrying", retry_at__isnull=False)
                | models.Q(status="parked", retry_at__isnull=True),
                name="job_item_retry_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job} #{self.item_id}"
