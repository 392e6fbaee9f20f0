from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from merchants.models import Merchant
from merchants.tenancy import MerchantOwned
from shop.catalogue.models import Sku
from shop.core.models import DeliveryAddress
from shop.core.money import format_cny
from shop.payments.models import Payment

# Statuses in which no money was taken, for the check constraints.
UNPAID = ["pending_payment", "cancelled"]


class Order(DeliveryAddress):
    """One merchant's part of a purchase. Its status changes only in `orders.state`."""

    tenancy = MerchantOwned("merchant", staff=("view", "change"))

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
        PAID = "paid", _("Paid")
        SHIPPED = "shipped", _("Shipped")
        COMPLETED = "completed", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")

    number = models.CharField(_("order number"), max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("customer"),
    )
    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="orders", verbose_name=_("merchant")
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT
    )
    language = models.CharField(max_length=10, default="zh-hans")
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    refunded_amount = models.DecimalField(
        _("refunded"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    commission = models.DecimalField(
        _("platform commission"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    carrier = models.CharField(_("carrier"), max_length=50, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("placed at"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="order_total_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("total")),
                name="order_refund_within_total",
            ),
            # What each state implies (see orders.state): the database refuses the rest.
            models.CheckConstraint(
                condition=Q(status__in=UNPAID, paid_at__isnull=True, refunded_amount=0)
                | (~Q(status__in=UNPAID) & Q(paid_at__isnull=False, payment__isnull=False)),
                name="order_paid_has_payment",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                name="order_cancelled_when",
            ),
            models.CheckConstraint(
                condition=~Q(status="shipped")
                | (Q(shipped_at__isnull=False) & ~Q(carrier="") & ~Q(tracking_number="")),
                name="order_shipped_has_tracking",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed")
                | Q(shipped_at__isnull=False, delivered_at__isnull=False),
                name="order_completed_was_shipped",
            ),
            models.CheckConstraint(
                condition=~Q(status="refunded") | Q(refunded_amount=F("total")),
                name="order_refunded_in_full",
            ),
            models.CheckConstraint(
                condition=~Q(status="partially_refunded")
                | (Q(refunded_amount__gt=0) & Q(refunded_amount__lt=F("total"))),
                name="order_refunded_in_part",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="order_status_created")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_gift(self) -> bool:
        """A gift's unit: the sender paid, so its recipient sees no price and asks no refund."""
        return self.payment.purpose == Payment.Purpose.GIFT

    @property
    def refundable_amount(self) -> Decimal:
        return self.total - self.refunded_amount

    @property
    def merchant_net(self) -> Decimal:
        """What the merchant keeps: the total less refunds and the platform's commission."""
        return self.total - self.refunded_amount - self.commission


class OrderLine(models.Model):
    """A bought SKU, with the title and price as they were when the order was placed."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="order_lines")
    product_title = models.CharField(max_length=120)
    sku_label = models.CharField(max_length=120, blank=True)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    quantity = models.PositiveIntegerField()
    commission_rate = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.000"),
        help_text=_("The category's rate when the order was placed."),
    )

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="order_line_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_title}"

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


class OrderEvent(models.Model):
    """The order's timeline, one row per thing that happened to it.

    A system-written `note` is stored as its English msgid and translated when shown, so
    the timeline speaks the reader's language, not the writer's.
    """

    class Kind(models.TextChoices):
        PLACED = "placed", _("Order placed")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")
        SHIPPED = "shipped", _("Shipped")
        COMPLETED = "completed", _("Delivered")
        REFUND_REQUESTED = "refund_requested", _("Refund requested")
        REFUND_REFUSED = "refund_refused", _("Refund refused")
        REFUNDED = "refunded", _("Refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        CHANGE_REQUESTED = "change_requested", _("Change asked for")
        CHANGE_APPROVED = "change_approved", _("Change approved")
        CHANGE_REJECTED = "change_rejected", _("Change rejected")
        CHANGE_EXPIRED = "change_expired", _("Change not answered in time")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"


class RefundRequest(models.Model):
    """A shopper asking for money back after payment; the merchant decides."""

    tenancy = MerchantOwned("order__merchant", staff=("view", "change"))

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Waiting for the merchant")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refund_requests")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED
    )
    decision_note = models.CharField(_("merchant's note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refund request")
        verbose_name_plural = _("refund requests")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_request_positive"),
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status="requested"),
                name="one_open_refund_request_per_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order} {format_cny(self.amount)} ({self.status})"


# Statuses of a change request that has been answered (by the merchant or the clock).
DECIDED = ["approved", "rejected", "expired"]


class ChangeRequest(models.Model):
    """A gift recipient asking, before shipping, for another variant or another address.

    The merchant approves or rejects; with no answer in time a variant change is rejected
    (it expires) and an address change is approved. Its status changes only in
    `orders.state` (compare-and-set). The old and new values are kept as the record of the
    change: addresses are personal data, shown masked and masked by the retention purge.
    """

    tenancy = MerchantOwned("order__merchant", staff=("view", "change"))

    class Kind(models.TextChoices):
        VARIANT = "variant", _("Another variant")
        ADDRESS = "address", _("Another address")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the merchant")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Not answered in time")

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="change_requests", verbose_name=_("order")
    )
    kind = models.CharField(_("change"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    old_sku = models.ForeignKey(
        Sku,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("variant before"),
    )
    new_sku = models.ForeignKey(
        Sku,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="change_requests",
        verbose_name=_("variant asked for"),
    )
    refund_amount = models.DecimalField(
        _("difference to refund"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text=_("Paid back to the sender when a cheaper variant is approved."),
    )
    old_address = models.JSONField(_("address before"), null=True, blank=True)
    new_address = models.JSONField(_("address asked for"), null=True, blank=True)
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    due_at = models.DateTimeField(_("answer due by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    by_timeout = models.BooleanField(_("decided by the clock"), default=False)
    decision_note = models.CharField(_("merchant's note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("change before shipping")
        verbose_name_plural = _("changes before shipping")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # What each kind carries: its old and new values, and nothing of the other kind.
            models.CheckConstraint(
                condition=Q(
                    kind="variant",
                    old_sku__isnull=False,
                    new_sku__isnull=False,
                    old_address__isnull=True,
                    new_address__isnull=True,
                )
                & ~Q(old_sku=F("new_sku"))
                | Q(
                    kind="address",
                    old_sku__isnull=True,
                    new_sku__isnull=True,
                    old_address__isnull=False,
                    new_address__isnull=False,
                    refund_amount=0,
                ),
                name="change_request_carries_its_kind",
            ),
            models.CheckConstraint(
                condition=Q(refund_amount__gte=0), name="change_request_refund_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True, by_timeout=False)
                | Q(status__in=DECIDED, decided_at__isnull=False),
                name="change_request_decided_when",
            ),
            # The clock rejects a variant change (it expires) and approves an address change.
            models.CheckConstraint(
                condition=~Q(status="expired") | Q(kind="variant", by_timeout=True),
                name="change_request_expired_by_clock",
            ),
            models.CheckConstraint(
                condition=~Q(by_timeout=True)
                | Q(kind="variant", status="expired")
                | Q(kind="address", status="approved"),
                name="change_request_clock_decides_by_kind",
            ),
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status="pending"),
                name="one_pending_change_per_order",
            ),
            # A variant is changed once (asked once, whatever the answer).
            models.UniqueConstraint(
                fields=["order"], condition=Q(kind="variant"), name="one_variant_change_per_order"
            ),
        ]
        indexes = [
            # The sweep reads only pending requests, by deadline.
            models.Index(
                fields=["due_at"], condition=Q(status="pending"), name="change_request_pending_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order} {self.kind} ({self.status})"
