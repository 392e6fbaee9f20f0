"""Personal data with a lifecycle (PIPL): the notice, consents, rights requests, purges.

None of these rows holds the personal data itself: a consent names the notice version and
whom the data went to, a rights request names its subject by id, a purge run counts.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shop.core.i18n import pick_language


class PrivacyNotice(models.Model):
    """One version of the privacy notice. A change is a new version; consents name theirs."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    body = models.TextField(_("text (Chinese)"))
    body_en = models.TextField(_("text (English)"), blank=True)
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)

    class Meta:
        verbose_name = _("privacy notice")
        verbose_name_plural = _("privacy notices")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version}"

    @property
    def display_body(self) -> str:
        return pick_language(self.body, self.body_en)


class Consent(models.Model):
    """Someone accepted the notice of this version, at this time, for this purpose."""

    class Purpose(models.TextChoices):
        GIFT_CLAIM = "gift_claim", _("Gift accepted: address given to the merchant")
        SIGNUP = "signup", _("Shopper sign-up")
        MERCHANT_APPLICATION = "merchant_application", _("Merchant application")

    purpose = models.CharField(_("purpose"), max_length=30, choices=Purpose.choices)
    notice = models.ForeignKey(
        PrivacyNotice, on_delete=models.PROTECT, related_name="consents", verbose_name=_("notice")
    )
    given_at = models.DateTimeField(_("given at"), auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consents",
    )
    claim = models.OneToOneField(
        "gifting.GiftClaim",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consent",
    )
    application = models.ForeignKey(
        "merchants.MerchantApplication",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consents",
    )
    recipient_merchant = models.ForeignKey(
        "merchants.Merchant",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("provided to"),
        help_text=_("The merchant named on the form as the one who receives the address."),
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at", "-pk"]
        constraints = [
            # A recipient's consent names whom the address goes to (PIPL art. 23).
            models.CheckConstraint(
                condition=~Q(purpose="gift_claim")
                | Q(claim__isnull=False, recipient_merchant__isnull=False),
                name="consent_claim_names_merchant",
            ),
            models.CheckConstraint(
                condition=~Q(purpose="signup") | Q(user__isnull=False), name="consent_signup_user"
            ),
            models.CheckConstraint(
                condition=~Q(purpose="merchant_application") | Q(application__isnull=False),
                name="consent_application_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} (v{self.notice.version})"


class RightsRequest(models.Model):
    """A person using a right over their data, and what came of it (for operators).

    The subject is named by id only: an erasure is recorded without what it erased.
    """

    class Kind(models.TextChoices):
        EXPORT = "export", _("Data download")
        ACCOUNT_DELETION = "account_deletion", _("Account deletion")
        RECIPIENT_ERASURE = "recipient_erasure", _("Recipient's early erasure")

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for open orders or gifts")
        DONE = "done", _("Done")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rights_requests",
    )
    claim = models.ForeignKey(
        "gifting.GiftClaim",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rights_requests",
    )
    # What is still open (a deletion waits for it), and the outcome as an English msgid,
    # translated when shown.
    open_orders = models.PositiveIntegerField(_("open orders"), default=0)
    open_gifts = models.PositiveIntegerField(_("open gifts"), default=0)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("data rights request")
        verbose_name_plural = _("data rights requests")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="done", completed_at__isnull=False)
                | Q(status="waiting", completed_at__isnull=True),
                name="rights_request_done_when",
            ),
            models.CheckConstraint(
                condition=Q(kind="recipient_erasure", claim__isnull=False)
                | (~Q(kind="recipient_erasure") & Q(claim__isnull=True)),
                name="rights_request_erasure_names_claim",
            ),
            # One erasure per claim; one open deletion per account.
            models.UniqueConstraint(
                fields=["claim"],
                condition=Q(kind="recipient_erasure"),
                name="one_erasure_per_claim",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(kind="account_deletion", status="waiting"),
                name="one_waiting_deletion_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class PurgeRun(models.Model):
    """One run of the retention purge: when, and how much it masked or deleted."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    orders_purged = models.PositiveIntegerField(_("orders masked"), default=0)
    claims_purged = models.PositiveIntegerField(_("gift claims masked"), default=0)
    access_logs_deleted = models.PositiveIntegerField(_("address views deleted"), default=0)
    deletions_completed = models.PositiveIntegerField(_("account deletions completed"), default=0)
    failed = models.PositiveIntegerField(_("items failed"), default=0)

    class Meta:
        verbose_name = _("retention purge run")
        verbose_name_plural = _("retention purge runs")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}"
