"""Partners: the systems that use the REST API, their keys, prepaid balance and webhooks.

A partner is a merchant's own system, a service provider running shops for merchants, or
a brand sending gifts in bulk. What it may touch is explicit: the merchants it manages
(`merchants`), and what it created itself (gifts, applications, webhook endpoints).
"""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from merchants.models import Merchant


class Partner(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    merchants = models.ManyToManyField(
        Merchant, blank=True, related_name="partners", verbose_name=_("merchants it manages")
    )
    balance = models.DecimalField(
        _("prepaid balance"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="partner_balance_never_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """A bearer key. Only its SHA-256 is stored; the key itself is shown once, at issue."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="api_keys")
    label = models.CharField(_("label"), max_length=100, blank=True)
    prefix = models.CharField(_("key starts with"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.partner})"


class BalanceEntry(models.Model):
    """One movement of a partner's prepaid money, written once (unique key).

    The partner's `balance` is the running sum of these rows; `reconcile` checks it.
    """

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("Top-up")
        GIFT_CHARGE = "gift_charge", _("Gift charge")
        REFUND = "refund", _("Refund")

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="balance_entries")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, help_text=_("Credits are positive.")
    )
    balance_after = models.DecimalField(_("balance after"), max_digits=14, decimal_places=2)
    idempotency_key = models.CharField(max_length=80, unique=True)
    reference = models.CharField(
        _("reference"), max_length=64, blank=True, help_text=_("The payment or refund it is for.")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("balance entry")
        verbose_name_plural = _("balance entries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="balance_entry_not_zero"),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="balance_entry_after_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["partner", "-id"], name="balance_entry_recent")]

    def __str__(self) -> str:
        return f"{self.partner} {self.kind} {self.amount}"


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an `Idempotency-Key`, replayed for repeats."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField(null=True)
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "key"], name="idempotency_key_once"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id}:{self.key}"


class WebhookEndpoint(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    # Needed in clear to sign each delivery; shown to the partner once, never in the admin.
    secret = models.CharField(max_length=80, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    """The outbox: written in the transaction of the change it reports, so none is lost."""

    public_id = models.CharField(max_length=40, unique=True, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="webhook_events")
    type = models.CharField(_("type"), max_length=50)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.public_id}"


class WebhookDelivery(models.Model):
    """One event to one endpoint, retried with backoff until a 2xx or the deadline."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Gave up")

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    locked_until = models.DateTimeField(null=True, blank=True)
    # Its message is on the broker (publish confirmed) until then: the sweep leaves it be,
    # so a backlog is not published again on every sweep (delivery.mark_queued).
    queued_until = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("last response status"), null=True)
    response_body = models.TextField(_("last response"), blank=True)
    error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "endpoint"], name="delivery_once_per_endpoint"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"
