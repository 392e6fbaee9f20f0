"""The money ledger: every payment and refund is one row, written once.

Rows are keyed by unique references (ours and the provider's), so a repeated
notification or a retried refund request finds the existing row instead of moving
money twice. What a payment or refund is *for* (orders, a gift) is a `purpose`/`subject`
string that the payments app dispatches on, so it depends on no other app.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shop.core.money import CURRENCY, format_cny


class Payment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        SUCCEEDED = "succeeded", _("Paid")
        FAILED = "failed", _("Failed")

    class Purpose(models.TextChoices):
        ORDERS = "orders", _("Orders")
        GIFT = "gift", _("Gift")
        CHIP_IN = "chip_in", _("Chip-in share")

    reference = models.CharField(_("reference"), max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default=CURRENCY)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    gateway = models.CharField(_("gateway"), max_length=30)
    provider_reference = models.CharField(
        _("provider reference"), max_length=64, null=True, blank=True, unique=True
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Bumped each time the shopper switches provider: a provider never reopens a trade we
    # closed, so each visit gets a trade number of its own (see `trade_no`).
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    # Separates the attempt in a trade number; references are P, digits and hex, never R.
    ATTEMPT_MARK = "R"

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            # Only a provider's confirmation makes a payment succeeded, and it names the charge.
            models.CheckConstraint(
                condition=~Q(status="succeeded")
                | Q(succeeded_at__isnull=False, provider_reference__isnull=False),
                name="payment_succeeded_has_evidence",
            ),
            models.CheckConstraint(
                condition=~Q(reference__contains="R"), name="payment_reference_has_no_attempt_mark"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {format_cny(self.amount)} ({self.status})"

    @property
    def trade_no(self) -> str:
        """What the provider knows this payment by (its out_trade_no): the reference, and
        after a switch of provider the attempt too."""
        return (
            f"{self.reference}{self.ATTEMPT_MARK}{self.attempt}" if self.attempt else self.reference
        )

    @staticmethod
    def parse_trade_no(trade_no: str) -> tuple[str, int]:
        """(reference, attempt) of a trade number a provider sent back."""
        reference, _, attempt = trade_no.partition(Payment.ATTEMPT_MARK)
        return reference, int(attempt) if attempt.isdigit() else 0


class Refund(models.Model):
    """Money going back. `idempotency_key` is also the key sent to the provider."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Requested")
        SUCCEEDED = "succeeded", _("Refunded")
        FAILED = "failed", _("Failed")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    subject = models.CharField(
        _("for"), max_length=40, help_text=_("What is refunded, e.g. order:12 or gift:7.")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    provider_reference = models.CharField(max_length=64, null=True, blank=True, unique=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="pending", completed_at__isnull=True)
                | (~Q(status="pending") & Q(completed_at__isnull=False)),
                name="refund_completed_when_settled",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="refund_status_created")]

    def __str__(self) -> str:
        return f"{self.idempotency_key} {format_cny(self.amount)} ({self.status})"


class PaymentNotification(models.Model):
    """Every verified notification from a provider, once (replays are refused by the key)."""

    gateway = models.CharField(_("gateway"), max_length=30)
    event_id = models.CharField(max_length=64)
    event_type = models.CharField(_("event type"), max_length=40)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment notification")
        verbose_name_plural = _("payment notifications")
        constraints = [
            models.UniqueConstraint(fields=["gateway", "event_id"], name="notification_once"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.event_type} {self.event_id}"
