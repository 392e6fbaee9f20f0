from decimal import Decimal

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from merchants.models import Merchant
from merchants.tenancy import MerchantOwned
from shop.core.i18n import pick_language

MAX_COMMISSION_RATE = Decimal("0.15")


class Category(models.Model):
    """Two levels: a top-level category (parent is null) and its subcategories."""

    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent category"),
    )
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    slug = models.SlugField(unique=True)
    giftable = models.BooleanField(
        _("giftable"),
        default=True,
        help_text=_("Products in this category can be sent as gifts (not jewellery or education)."),
    )
    commission_rate = models.DecimalField(
        _("commission rate"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.050"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_COMMISSION_RATE)],
        help_text=_("Platform commission as a fraction of the sale, at most 0.15 (15%)."),
    )
    requires_qualification = models.BooleanField(
        _("requires a qualification"),
        default=False,
        help_text=_(
            "Merchants must upload a licence for this category (food, cosmetics, alcohol…)."
        ),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_rate__gte=0) & Q(commission_rate__lte=MAX_COMMISSION_RATE),
                name="category_commission_rate_range",
            ),
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="category_not_own_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name

    def clean(self) -> None:
        if self.parent_id and self.parent.parent_id:
            raise ValidationError({"parent": _("Categories have two levels only.")})

    @property
    def display_name(self) -> str:
        return pick_language(self.name, self.name_en)


class Product(models.Model):
    tenancy = MerchantOwned("merchant", staff=("view", "add", "change"))

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_REVIEW = "pending_review", _("Pending review")
        LISTED = "listed", _("Listed")
        REJECTED = "rejected", _("Rejected")
        DELISTED = "delisted", _("Delisted")

    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="products", verbose_name=_("merchant")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("category")
    )
    title = models.CharField(_("title"), max_length=120)
    title_en = models.CharField(_("title (English)"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    featured = models.BooleanField(_("featured on the home page"), default=False)
    review_note = models.CharField(
        _("review note"), max_length=500, blank=True, help_text=_("Why the product was rejected.")
    )
    search_vector = SearchVectorField(null=True, editable=False)
    search_document = models.TextField(editable=False, blank=True, default="")
    search_title = models.TextField(editable=False, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [
            models.Index(fields=["status", "category"], name="product_status_category"),
            models.Index(fields=["merchant", "status"], name="product_merchant_status"),
            # The listing's default order, newest first: PostgreSQL walks it and stops
            # after a page instead of sorting every listed product.
            models.Index(
                F("created_at").desc(),
                F("id").desc(),
                condition=Q(status="listed"),
                name="product_listed_newest",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        return pick_language(self.title, self.title_en)

    @property
    def display_description(self) -> str:
        return pick_language(self.description, self.description_en)


def product_image_path(instance: "ProductImage", filename: str) -> str:
    return f"products/{instance.product_id or 'new'}/{filename}"


class ProductImage(models.Model):
    """A product photo and its thumbnail, made once at upload (never per request)."""

    tenancy = MerchantOwned("product__merchant", staff=("view", "add", "change", "delete"))

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(
        _("image"), upload_to=product_image_path, width_field="width", height_field="height"
    )
    thumbnail = models.ImageField(upload_to="products/thumbs/", editable=False, blank=True)
    width = models.PositiveIntegerField(editable=False, null=True)
    height = models.PositiveIntegerField(editable=False, null=True)
    alt = models.CharField(_("description"), max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("product image")
        verbose_name_plural = _("product images")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.image.name


class Sku(models.Model):
    """One buyable variant of a product (colour, size…) with its own exact CNY price."""

    tenancy = MerchantOwned("product__merchant", staff=("view", "add", "change", "delete"))

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="skus")
    code = models.CharField(_("SKU code"), max_length=64)
    attributes = models.JSONField(
        _("attributes"), default=dict, blank=True, help_text=_('For example {"colour": "red"}.')
    )
    price = models.DecimalField(_("price (CNY)"), max_digits=10, decimal_places=2)
    is_active = models.BooleanField(_("on sale"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["product", "code"], name="sku_code_unique_per_product"),
            models.CheckConstraint(condition=Q(price__gt=0), name="sku_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.product.title} ({self.label})" if self.attributes else self.product.title

    @property
    def label(self) -> str:
        """The variant as a shopper reads it: `黑色 / M`."""
        return " / ".join(str(v) for v in self.attributes.values()) if self.attributes else ""


class StockRecord(models.Model):
    """How many units of a SKU can be sold now.

    Kept apart from the SKU (as Oscar keeps partner stock apart from the product) so that
    the hot, frequently-written counter does not lock or invalidate the catalogue row.
    Writes are conditional updates; the check constraint is the last line of defence.
    """

    tenancy = MerchantOwned("sku__product__merchant", staff=("view", "change"))

    sku = models.OneToOneField(Sku, on_delete=models.CASCADE, related_name="stock")
    quantity = models.IntegerField(_("in stock"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("stock record")
        verbose_name_plural = _("stock records")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=0), name="stock_never_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sku}: {self.quantity}"


class SearchSynonym(models.Model):
    """An operator's search rule: a broader word (杯子 finds 马克杯, 茶杯) or a synonym group.

    Rules are applied when products are indexed, so a saved or deleted rule re-indexes the
    products whose texts have any of its words (in the background).
    """

    class Kind(models.TextChoices):
        HYPERNYM = "hypernym", _("Broader word: finds the narrower ones")
        SYNONYM = "synonym", _("Synonyms: each word finds the others")

    term = models.CharField(_("word"), max_length=50, unique=True)
    alternatives = models.CharField(
        _("also finds"),
        max_length=500,
        help_text=_("Words separated by commas, for example 马克杯, 茶杯, mug."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.HYPERNYM)

    class Meta:
        verbose_name = _("search synonym")
        verbose_name_plural = _("search synonyms")
        ordering = ["term"]

    def __str__(self) -> str:
        return f"{self.term} → {self.alternatives}"


class SearchWord(models.Model):
    """A Latin word of the catalogue's titles and names: what a misspelt query word is
    compared with (trigram similarity), so `cofee` finds coffee."""

    word = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("search word")
        verbose_name_plural = _("search words")

    def __str__(self) -> str:
        return self.word
