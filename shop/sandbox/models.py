"""The sandbox provider's own books. The shop never reads these except through the gateway."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SandboxMode(models.Model):
    """Failure modes, switchable at run time (admin or tests) for every process at once."""

    decline_payments = models.BooleanField(_("decline every payment"), default=False)
    timeout_requests = models.BooleanField(
        _("time out API calls (after doing the work, as a slow network would)"), default=False
    )
    duplicate_notifications = models.BooleanField(_("send every notification twice"), default=False)
    notify_before_redirect = models.BooleanField(
        _("notify before the shopper's browser returns"), default=False
    )
    fail_refunds = models.BooleanField(_("fail every refund"), default=False)
    refund_delay_ms = models.PositiveIntegerField(
        _("answer refunds this many milliseconds after recording them"), default=0
    )

    class Meta:
        verbose_name = _("sandbox failure modes")
        verbose_name_plural = _("sandbox failure modes")

    def __str__(self) -> str:
        return "Sandbox failure modes"

    @classmethod
    def current(cls) -> "SandboxMode":
        return cls.objects.get_or_create(pk=1)[0]


class SandboxCharge(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SUCCEEDED = "succeeded", _("Succeeded")
        DECLINED = "declined", _("Declined")
        CLOSED = "closed", _("Closed")

    id = models.CharField(primary_key=True, max_length=40)
    merchant_reference = models.CharField(max_length=40, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    description = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    return_url = models.URLField(max_length=500)
    notify_url = models.URLField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sandbox charge")
        verbose_name_plural = _("sandbox charges")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sandbox_charge_positive")
        ]

    def __str__(self) -> str:
        return self.id


class SandboxRefund(models.Model):
    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    id = models.CharField(primary_key=True, max_length=40)
    charge = models.ForeignKey(SandboxCharge, on_delete=models.PROTECT, related_name="refunds")
    idempotency_key = models.CharField(max_length=64, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    failure_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sandbox refund")
        verbose_name_plural = _("sandbox refunds")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sandbox_refund_positive")
        ]

    def __str__(self) -> str:
        return self.id


class SandboxNotification(models.Model):
    """An outgoing notification, kept until the shop answers 2xx (at-least-once delivery)."""

    id = models.CharField(primary_key=True, max_length=40)
    url = models.URLField(max_length=500)
    body = models.TextField()
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sandbox notification")
        verbose_name_plural = _("sandbox notifications")
        indexes = [
            models.Index(fields=["delivered_at", "created_at"], name="sandbox_notif_pending")
        ]

    def __str__(self) -> str:
        return self.id
