"""Gifts: bought by a sender for someone else, claimed through a link with an address.

A gift carries one SKU and 1 to 100 units. One unit per recipient (by phone number):
a one-unit gift is WeChat's 送礼物, more units is 送给多人. The gift's status changes only
in `gifting.state`.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shop.catalogue.models import Sku
from shop.core.models import DeliveryAddress
from shop.orders.models import Order
from shop.payments.models import Payment

MAX_UNITS = 100
MESSAGE_MAX_LENGTH = 200
THANKS_MAX_LENGTH = 100
# Statuses by what they imply, for the check constraints.
UNPAID = ["pending_payment", "abandoned", "funding"]
PAID = ["awaiting_recipient", "accepted", "declined", "cancelled", "expired"]
OPEN = ["pending_payment", "awaiting_recipient", "funding"]
# A chip-in gift has no payment of its own until it is funded (see ChipIn), nor when it
# was not funded (abandoned).
WITHOUT_PAYMENT = ["funding", "abandoned"]


class Gift(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
        AWAITING_RECIPIENT = "awaiting_recipient", _("Waiting for the recipient")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")
        ABANDONED = "abandoned", _("Not paid")
        FUNDING = "funding", _("Collecting contributions")

    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gifts_sent",
        verbose_name=_("sender"),
    )
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gifts",
        verbose_name=_("sent by partner"),
        help_text=_("Set when a partner sent the gift through the API, paid from its balance."),
    )
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="gifts")
    quantity = models.PositiveSmallIntegerField(_("units"), default=1)
    units_claimed = models.PositiveSmallIntegerField(_("units claimed"), default=0)
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    message = models.CharField(_("message"), max_length=MESSAGE_MAX_LENGTH, blank=True)
    sender_name = models.CharField(_("from"), max_length=30)
    allow_variant_choice = models.BooleanField(_("recipient may choose the variant"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT
    )
    token_salt = models.CharField(max_length=32, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="gift"
    )
    language = models.CharField(max_length=10, default="zh-hans")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    refunded_amount = models.DecimalField(
        _("refunded"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )

    class Meta:
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & Q(quantity__lte=MAX_UNITS), name="gift_units_range"
            ),
            models.CheckConstraint(
                condition=Q(units_claimed__lte=F("quantity")), name="gift_claims_within_units"
            ),
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="gift_price_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("amount")),
                name="gift_refund_within_amount",
            ),
            # What each state implies (see gifting.state): the database refuses the rest.
            models.CheckConstraint(
                # Rounded: SQLite multiplies decimals as floats (0.7 * 3 = 2.0999…).
                condition=Q(amount=Round(F("unit_price") * F("quantity"), 2)),
                name="gift_amount_is_units",
            ),
            models.CheckConstraint(
                condition=Q(payment__isnull=False) | Q(status__in=WITHOUT_PAYMENT),
                name="gift_has_payment",
            ),
            models.CheckConstraint(
                condition=Q(status__in=UNPAID, paid_at__isnull=True, expires_at__isnull=True)
                | Q(status__in=PAID, paid_at__isnull=False, expires_at__isnull=False),
                name="gift_paid_has_deadline",
            ),
            models.CheckConstraint(
                condition=Q(status__in=OPEN, finished_at__isnull=True)
                | (~Q(status__in=OPEN) & Q(finished_at__isnull=False)),
                name="gift_finished_when_closed",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[*UNPAID, "declined"]) | Q(units_claimed=0),
                name="gift_unclaimed_unless_paid",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(units_claimed=F("quantity")),
                name="gift_accepted_all_claimed",
            ),
            models.CheckConstraint(
                condition=~Q(status="awaiting_recipient") | Q(units_claimed__lt=F("quantity")),
                name="gift_live_has_units_left",
            ),
            # Only the unclaimed units' money goes back (claimed ones refund as orders).
            models.CheckConstraint(
                condition=Q(
                    refunded_amount__lte=Round(
                        F("unit_price") * (F("quantity") - F("units_claimed")), 2
                    )
                ),
                name="gift_refund_only_unclaimed",
            ),
        ]
        indexes = [
            # The expiry sweep reads only live gifts, by deadline.
            models.Index(
                fields=["expires_at"],
                condition=Q(status="awaiting_recipient"),
                name="gift_live_by_expiry",
            ),
            models.Index(fields=["sender", "-created_at"], name="gift_sender_recent"),
            models.Index(
                fields=["partner", "-id"],
                condition=Q(partner__isnull=False),
                name="gift_partner_recent",
            ),
        ]

    def __str__(self) -> str:
        return f"Gift {self.pk}"

    @property
    def is_live(self) -> bool:
        """Claimable now: paid, not closed, not past its deadline (swept or not yet)."""
        return (
            self.status == self.Status.AWAITING_RECIPIENT
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )

    @property
    def units_left(self) -> int:
        return self.quantity - self.units_claimed

    @property
    def is_group(self) -> bool:
        return self.quantity > 1


class GiftClaim(DeliveryAddress):
    """One recipient's unit: who, where to, which variant, and the order that ships it."""

    gift = models.ForeignKey(Gift, on_delete=models.PROTECT, related_name="claims")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gift_claims",
    )
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="gift_claims")
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="gift_claim")
    claimed_at = models.DateTimeField(auto_now_add=True)
    thanks = models.CharField(_("thank-you note"), max_length=THANKS_MAX_LENGTH, blank=True)
    thanked_at = models.DateTimeField(_("thanked at"), null=True, blank=True)
    # The claim form's consent line: text the tracking link and the shipment to `phone`.
    sms_consent = models.BooleanField(_("texts agreed"), default=False)
    language = models.CharField(_("language"), max_length=10, default=settings.LANGUAGE_CODE)

    class Meta:
        verbose_name = _("gift claim")
        verbose_name_plural = _("gift claims")
        ordering = ["claimed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["gift", "phone"], name="one_unit_per_phone"),
            # A note is sent once (gifting.state.thank): it has its time, and only then.
            models.CheckConstraint(
                condition=Q(thanked_at__isnull=True, thanks="")
                | (Q(thanked_at__isnull=False) & ~Q(thanks="")),
                name="claim_thanks_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Claim {self.pk} of gift {self.gift_id}"


class GiftEvent(models.Model):
    """The gift's timeline as the sender sees it (no recipient details in here)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Gift created")
        PAID = "paid", _("Paid, link is live")
        REMINDED = "reminded", _("Reminder sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")
        REFUNDED = "refunded", _("Refunded")
        ABANDONED = "abandoned", _("Not paid in time")
        THANKED = "thanked", _("Thank-you note")
        VARIANT_CHANGED = "variant_changed", _("Variant changed before shipping")
        FUNDED = "funded", _("Fully funded, link is live")
        UNFUNDED = "unfunded", _("Not funded; contributions refunded")

    gift = models.ForeignKey(Gift, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("gift event")
        verbose_name_plural = _("gift events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.gift_id} {self.kind}"


# --- Chip-in gifts (一起送) --------------------------------------------------------------
DISPLAY_NAME_MAX_LENGTH = 30


class ChipIn(models.Model):
    """Several people pay for one gift: all of it by the deadline, or everyone gets their
    money back, each to their own payment.

    `reserved` is what open shares hold (paid or on their way), `paid` what arrived; a
    share is taken by one compare-and-set on `reserved`, so shares never add up to more
    than the gift costs. The status changes only in `gifting.state`.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Collecting contributions")
        FUNDED = "funded", _("Fully funded")
        FAILED = "failed", _("Not funded in time")
        CANCELLED = "cancelled", _("Cancelled")

    gift = models.OneToOneField(Gift, on_delete=models.PROTECT, related_name="chip_in")
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="chip_ins_organised",
        verbose_name=_("organiser"),
        help_text=_("Empty when a partner started it through the API."),
    )
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=2)
    min_share = models.DecimalField(_("smallest share"), max_digits=12, decimal_places=2)
    reserved = models.DecimalField(
        _("reserved"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    paid = models.DecimalField(_("paid"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    deadline = models.DateTimeField(_("funding deadline"))
    token_salt = models.CharField(max_length=32, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("chip-in")
        verbose_name_plural = _("chip-ins")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(target__gt=0), name="chipin_target_positive"),
            models.CheckConstraint(condition=Q(min_share__gt=0), name="chipin_min_share_positive"),
            models.CheckConstraint(
                condition=Q(paid__gte=0)
                & Q(paid__lte=F("reserved"))
                & Q(reserved__lte=F("target")),
                name="chipin_never_over_funded",
            ),
            models.CheckConstraint(
                condition=~Q(status="funded") | Q(paid=F("target")),
                name="chipin_funded_is_paid_in_full",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | (~Q(status="open") & Q(closed_at__isnull=False)),
                name="chipin_closed_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["deadline"], condition=Q(status="open"), name="chipin_open_by_deadline"
            ),
        ]

    def __str__(self) -> str:
        return f"Chip-in {self.pk} for gift {self.gift_id}"

    @property
    def left(self) -> Decimal:
        """What is still free to take as a share."""
        return self.target - self.reserved


class Contribution(models.Model):
    """One person's share, paid through its own ordinary Payment (and refunded to it)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        PAID = "paid", _("Paid")
        RELEASED = "released", _("Not paid")
        REFUNDED = "refunded", _("Refunded")

    chip_in = models.ForeignKey(ChipIn, on_delete=models.PROTECT, related_name="contributions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="chip_in_contributions",
    )
    display_name = models.CharField(_("name shown"), max_length=DISPLAY_NAME_MAX_LENGTH)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="contribution")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="contribution_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["paid", "refunded"], paid_at__isnull=False)
                | Q(status__in=["pending", "released"], paid_at__isnull=True),
                name="contribution_paid_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(status="pending"),
                name="contribution_pending_by_age",
            ),
        ]

    def __str__(self) -> str:
        return f"Contribution {self.pk} to chip-in {self.chip_in_id}"
