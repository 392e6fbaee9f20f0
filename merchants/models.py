from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shop.core.i18n import pick_language
from shop.core.validators import validate_cn_mobile

from .tenancy import MerchantOwned
from .uploads import stored_name
from .uscc import validate_uscc


class Merchant(models.Model):
    """A shop on the platform. Every product, and so every order line, belongs to one merchant."""

    tenancy = MerchantOwned("pk", staff=("view",))

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(_("shop name"), max_length=100, unique=True)
    name_en = models.CharField(_("shop name (English)"), max_length=100, blank=True)
    slug = models.SlugField(unique=True)
    legal_name = models.CharField(_("company legal name"), max_length=200, blank=True)
    uscc = models.CharField(
        _("Unified Social Credit Code"),
        max_length=18,
        blank=True,
        validators=[validate_uscc],
    )
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(
        _("contact mobile"), max_length=11, blank=True, validators=[validate_cn_mobile]
    )
    email = models.EmailField(_("email"), blank=True)
    categories = models.ManyToManyField(
        "catalogue.Category",
        blank=True,
        related_name="merchants",
        verbose_name=_("categories it may sell in"),
    )
    auto_list_clean_products = models.BooleanField(
        _("list products automatically when the compliance check is clean"), default=False
    )
    logo = models.ImageField(
        _("logo"),
        upload_to="merchants/logos/",
        blank=True,
        help_text=_("Shown beside the shop's name in the back office: square, JPEG, PNG or WebP."),
    )
    includes_greeting_card = models.BooleanField(
        _("a printed greeting card goes in every gift's box"),
        default=False,
        help_text=_(
            "Senders are told on the send page, and gift orders' packing slips say to put "
            "in a card with the sender's message."
        ),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["uscc"], condition=~Q(uscc=""), name="merchant_uscc_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return pick_language(self.name, self.name_en)


class MerchantStaff(models.Model):
    """A person who works in one merchant's admin. A user belongs to at most one merchant."""

    tenancy = MerchantOwned("merchant", staff=("view", "add", "delete"))

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        STAFF = "staff", _("Staff")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="merchant_staff"
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="staff")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("merchant staff member")
        verbose_name_plural = _("merchant staff")

    def __str__(self) -> str:
        return f"{self.user} @ {self.merchant}"


def application_upload_path(instance: "ApplicationDocument", filename: str) -> str:
    """Stored under the extension of the sniffed content type, whatever the name said."""
    return f"applications/{instance.application_id}/{stored_name(filename, instance.content_type)}"


class MerchantApplication(models.Model):
    """An "Open a shop" application, from the web or from a service provider (partner)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    legal_name = models.CharField(_("company legal name"), max_length=200)
    shop_name = models.CharField(_("shop name"), max_length=100)
    uscc = models.CharField(
        _("Unified Social Credit Code"), max_length=18, validators=[validate_uscc]
    )
    contact_name = models.CharField(_("contact person"), max_length=50)
    contact_phone = models.CharField(
        _("contact mobile"), max_length=11, validators=[validate_cn_mobile]
    )
    email = models.EmailField(_("email"))
    categories = models.ManyToManyField(
        "catalogue.Category", related_name="applications", verbose_name=_("categories")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    merchant = models.OneToOneField(
        Merchant, on_delete=models.PROTECT, null=True, blank=True, related_name="application"
    )
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merchant_applications",
        verbose_name=_("submitted by service provider"),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("merchant application")
        verbose_name_plural = _("merchant applications")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.shop_name} ({self.get_status_display()})"


class ApplicationDocument(models.Model):
    """An uploaded business licence or category qualification, checked by content."""

    class Kind(models.TextChoices):
        LICENCE = "licence", _("Business licence")
        QUALIFICATION = "qualification", _("Category qualification")

    application = models.ForeignKey(
        MerchantApplication, on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    category = models.ForeignKey(
        "catalogue.Category", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    file = models.FileField(upload_to=application_upload_path)
    content_type = models.CharField(max_length=50)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("application document")
        verbose_name_plural = _("application documents")

    def __str__(self) -> str:
        return self.file.name


class AddressAccessLog(models.Model):
    """Who opened an order's full delivery address, and when (operators can audit it)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        help_text=_("Set when a partner's system read the address through the API."),
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="address_views"
    )
    viewed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("address view")
        verbose_name_plural = _("address views")
        ordering = ["-viewed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(partner__isnull=False),
                name="address_view_has_viewer",
            ),
        ]

    def __str__(self) -> str:
        viewer = self.user or self.partner
        return f"{viewer} viewed {self.order} at {self.viewed_at:%Y-%m-%d %H:%M}"


class ImportJob(models.Model):
    """One uploaded import file (products and stock, or tracking numbers) and its run.

    A worker checks every row first (a dry run that writes nothing, counting its progress
    here so the page can show it); the merchant applies a clean check, which the worker
    runs again in one transaction: every row or none. The file is kept here, bounded in
    bytes and rows (`merchants.imports`), until the job is done.
    """

    tenancy = MerchantOwned("merchant")

    class Kind(models.TextChoices):
        CATALOGUE = "catalogue", _("Products, SKUs, prices and stock")
        TRACKING = "tracking", _("Tracking numbers")

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked: ready to apply")
        INVALID = "invalid", _("Rows with errors")
        APPLYING = "applying", _("Applying")
        APPLIED = "applied", _("Applied")
        FAILED = "failed", _("Not applied")

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    filename = models.CharField(max_length=200)
    language = models.CharField(max_length=10)  # the uploader's: the report's messages are in it
    data = models.BinaryField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKING)
    total_rows = models.PositiveIntegerField(default=0)
    done_rows = models.PositiveIntegerField(default=0)
    # {"new": n, "update": n, "invalid": n, "rows": [{"row": 2, "errors": ["…"]}], "error": "…"}
    report = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.filename}"
