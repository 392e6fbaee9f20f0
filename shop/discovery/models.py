"""Gift discovery: occasions for the gift finder, and the summary tables beat recomputes.

Pages never aggregate gifts on a request. `services.charts_recompute` writes one snapshot
(a `ChartRun` and its rows) in a single transaction and deletes the older ones; readers
take the newest run, so they see the old snapshot or the new one, never half of each.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from merchants.models import Merchant
from shop.catalogue.models import Category, Product
from shop.core.i18n import pick_language


class Occasion(models.Model):
    """Why someone gives (birthday, thanks…), and the categories that suit it.

    Managed by operators in the admin. A top-level category stands for its subcategories.
    """

    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=50, blank=True)
    slug = models.SlugField(unique=True)
    categories = models.ManyToManyField(
        Category, related_name="occasions", verbose_name=_("categories that suit it")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("occasion")
        verbose_name_plural = _("occasions")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return pick_language(self.name, self.name_en)


class ChartRun(models.Model):
    """One snapshot of every chart, computed for the window ending at `computed_at`."""

    computed_at = models.DateTimeField(_("computed for"))
    duration_ms = models.PositiveIntegerField(_("took (ms)"), default=0)

    class Meta:
        verbose_name = _("chart run")
        verbose_name_plural = _("chart runs")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"Chart run {self.pk}"


class GiftChartEntry(models.Model):
    """A product's place on the gift chart (送礼榜): overall (no category) or in a category.

    `accepted_units` are units recipients accepted in the last 7 days, less those whose
    order was refunded. Equal counts share a rank (1, 2, 2, 4).
    """

    run = models.ForeignKey(ChartRun, on_delete=models.CASCADE, related_name="gift_chart")
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, null=True, blank=True, related_name="gift_chart"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="gift_chart")
    rank = models.PositiveIntegerField(_("rank"))
    accepted_units = models.PositiveIntegerField(_("gifts accepted"))

    class Meta:
        verbose_name = _("gift chart entry")
        verbose_name_plural = _("gift chart entries")
        ordering = ["rank", "product_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "category", "product"], name="gift_chart_once_per_category"
            ),
            models.UniqueConstraint(
                fields=["run", "product"],
                condition=Q(category__isnull=True),
                name="gift_chart_once_overall",
            ),
            models.CheckConstraint(condition=Q(rank__gte=1), name="gift_chart_rank_positive"),
            models.CheckConstraint(
                condition=Q(accepted_units__gte=1), name="gift_chart_accepted_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["run", "category", "rank"], name="gift_chart_by_rank"),
        ]

    def __str__(self) -> str:
        return f"#{self.rank} {self.product_id}"


class RisingBrandEntry(models.Model):
    """A merchant on the rising-brands chart (品牌飙升榜).

    `growth` = (this week − last week) ÷ max(last week, minimum volume), in accepted units;
    only merchants with at least the minimum volume this week and positive growth appear.
    """

    run = models.ForeignKey(ChartRun, on_delete=models.CASCADE, related_name="rising_brands")
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="rising_brand_entries"
    )
    rank = models.PositiveIntegerField(_("rank"))
    this_week = models.PositiveIntegerField(_("accepted this week"))
    last_week = models.PositiveIntegerField(_("accepted last week"))
    growth = models.FloatField(_("growth"))

    class Meta:
        verbose_name = _("rising brand entry")
        verbose_name_plural = _("rising brand entries")
        ordering = ["rank", "merchant_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "merchant"], name="rising_brand_once_per_run"),
            models.CheckConstraint(condition=Q(rank__gte=1), name="rising_brand_rank_positive"),
            models.CheckConstraint(condition=Q(growth__gt=0), name="rising_brand_grows"),
            models.CheckConstraint(
                condition=Q(this_week__gt=F("last_week")), name="rising_brand_more_this_week"
            ),
        ]
        indexes = [models.Index(fields=["run", "rank"], name="rising_brand_by_rank")]

    def __str__(self) -> str:
        return f"#{self.rank} {self.merchant_id}"

    @property
    def growth_percent(self) -> int:
        return round(self.growth * 100)


UNKNOWN_ACCEPTANCE = 0.5
"""The smoothed acceptance rate of a product nobody has gifted yet: (0 + 1) ÷ (0 + 2)."""


class ProductGiftStats(models.Model):
    """How a product fares as a gift, for the gift finder.

    `sent_units` and `accepted_units` cover gifts paid in the last 30 days that are no
    longer waiting for a recipient (a live gift says nothing yet about acceptance).
    `acceptance` is smoothed, (accepted + 1) ÷ (sent + 2), so that one accepted gift is
    not 100 %; `recent_units` are units accepted in the last 7 days; `score` combines them.
    """

    run = models.ForeignKey(ChartRun, on_delete=models.CASCADE, related_name="product_stats")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="gift_stats")
    sent_units = models.PositiveIntegerField(_("units sent"))
    accepted_units = models.PositiveIntegerField(_("units accepted"))
    recent_units = models.PositiveIntegerField(_("units accepted in the last 7 days"))
    acceptance = models.FloatField(_("acceptance rate"))
    score = models.FloatField(_("score"))

    class Meta:
        verbose_name = _("product gift statistics")
        verbose_name_plural = _("product gift statistics")
        constraints = [
            models.UniqueConstraint(fields=["run", "product"], name="product_stats_once_per_run"),
            models.CheckConstraint(
                condition=Q(accepted_units__lte=F("sent_units")),
                name="product_stats_accepted_within_sent",
            ),
            models.CheckConstraint(
                condition=Q(acceptance__gt=0) & Q(acceptance__lt=1),
                name="product_stats_acceptance_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.accepted_units}/{self.sent_units}"


class AlsoGivenEntry(models.Model):
    """ "People who gave this also gave…": `senders` gave both products in the last 90 days."""

    run = models.ForeignKey(ChartRun, on_delete=models.CASCADE, related_name="also_given")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="also_given")
    other = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="also_given_with")
    rank = models.PositiveIntegerField(_("rank"))
    senders = models.PositiveIntegerField(_("senders who gave both"))

    class Meta:
        verbose_name = _("also given entry")
        verbose_name_plural = _("also given entries")
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "product", "other"], name="also_given_pair_once_per_run"
            ),
            models.CheckConstraint(condition=~Q(other=F("product")), name="also_given_not_self"),
            models.CheckConstraint(condition=Q(rank__gte=1), name="also_given_rank_positive"),
        ]
        indexes = [models.Index(fields=["run", "product", "rank"], name="also_given_by_rank")]

    def __str__(self) -> str:
        return f"{self.product_id} → {self.other_id}"
