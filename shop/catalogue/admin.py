"""Catalogue admin, shared by operators and merchant staff (scoped to their own shop)."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from merchants.admin_scoping import MerchantScopedAdmin, OperatorOnlyAdmin
from merchants.compliance import highlight
from merchants.selectors import is_operator
from shop.core.admin_theme import ThemedTabularInline

from . import services
from .forms import LOW_STOCK, ProductImageForm, SkuForm
from .models import Category, Product, ProductImage, SearchSynonym, Sku, StockRecord


class SubcategoryInline(ThemedTabularInline):
    model = Category
    fk_name = "parent"
    extra = 0
    fields = [
        "name",
        "name_en",
        "slug",
        "giftable",
        "requires_qualification",
        "commission_rate",
        "position",
    ]
    prepopulated_fields = {"slug": ["name_en"]}


@admin.register(Category)
class CategoryAdmin(OperatorOnlyAdmin):
    list_display = [
        "__str__",
        "name_en",
        "giftable",
        "requires_qualification",
        "commission_rate",
        "position",
    ]
    list_filter = ["giftable", "requires_qualification", "parent"]
    search_fields = ["name", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [SubcategoryInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).select_related("parent")


class SkuInline(ThemedTabularInline):
    model = Sku
    form = SkuForm
    extra = 0
    fields = [
        "code",
        "attribute_name_0",
        "attribute_value_0",
        "attribute_name_1",
        "attribute_value_1",
        "price",
        "stock",
        "is_active",
        "position",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Sku]:
        return super().get_queryset(request).select_related("stock")


class ProductImageInline(ThemedTabularInline):
    model = ProductImage
    form = ProductImageForm
    extra = 0
    fields = ["image", "alt", "position"]


# The product page's button that saves and submits the product for review.
SUBMIT_BUTTON = "_submit_for_review"


@admin.register(Product)
class ProductAdmin(MerchantScopedAdmin):
    list_display = ["title", "merchant", "category", "status", "featured", "updated_at"]
    list_filter = ["status", "featured", "category__parent", "merchant"]
    list_select_related = ["merchant", "category"]
    ordering = ["-pk"]
    search_fields = ["title", "title_en", "skus__code"]
    inlines = [SkuInline, ProductImageInline]
    actions = ["submit_for_review", "approve", "reject", "delist"]
    readonly_fields = ["status", "review_note_shown", "compliance"]

    def get_fields(self, request: HttpRequest, obj: Product | None = None) -> list[str]:
        fields = ["category", "title", "title_en", "description", "description_en"]
        if is_operator(request.user):
            fields = ["merchant", *fields, "featured", "review_note"]
        return [*fields, "status", "review_note_shown", "compliance"]

    def get_list_filter(self, request: HttpRequest) -> list:
        return self.list_filter if is_operator(request.user) else ["status", "category__parent"]

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if not is_operator(request.user):
            for name in ("approve", "reject", "delete_selected"):
                actions.pop(name, None)
        return actions

    @admin.display(description=_("review note"))
    def review_note_shown(self, product: Product) -> str:
        return product.review_note or "—"

    @admin.display(description=_("compliance check"))
    def compliance(self, product: Product) -> str:
        """Banned absolute claims (Advertising Law art. 9), highlighted where they stand."""
        if not product.pk:
            return "—"
        findings = services.product_compliance_findings(product)
        if not findings:
            return _("No banned claims found.")
        by_field: dict[str, list] = {}
        for finding in findings:
            by_field.setdefault(finding.field, []).append(finding)
        return format_html_join(
            "",
            "<p><strong>{}</strong>: {}</p>",
            (
                (
                    capfirst(Product._meta.get_field(field).verbose_name),
                    highlight(getattr(product, field), items),
                )
                for field, items in by_field.items()
            ),
        )

    def save_model(self, request: HttpRequest, obj: Product, form, change: bool) -> None:
        """A merchant who rewrites a listed product's copy sends it back through the check."""
        super().save_model(request, obj, form, change)
        copy = {"title", "title_en", "description", "description_en"}
        if change and not is_operator(request.user) and copy & set(form.changed_data):
            findings = services.product_recheck(product=obj)
            if findings:
                self.message_user(
                    request,
                    _("The new text contains claims an operator must check: %(terms)s")
                    % {"terms": ", ".join(sorted({f.term for f in findings}))},
                    messages.WARNING,
                )

    def save_formset(
        self, request: HttpRequest, form: object, formset: object, change: bool
    ) -> None:
        """SKUs get their stock record and photos their thumbnail, through the services."""
        instances = formset.save(commit=False)
        for deleted in formset.deleted_objects:
            deleted.delete()
        for instance in instances:
            if isinstance(instance, ProductImage):
                services.product_image_save(image=instance)
            else:
                stock = next(
                    (f.cleaned_data.get("stock") for f in formset.forms if f.instance is instance),
                    None,
                )
                services.sku_save(sku=instance, stock=stock)
        formset.save_m2m()

    def save_related(
        self, request: HttpRequest, form: object, formsets: list, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        services.product_search_index_refresh(
            products=Product.objects.select_related("category", "merchant").filter(
                pk=form.instance.pk
            )
        )

    @admin.action(description=_("Submit for review (runs the compliance check)"))
    def submit_for_review(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        for product in queryset.select_related("merchant"):
            self._submit(request, product)

    def _submit(self, request: HttpRequest, product: Product) -> None:
        """The list action's and the product page's button: submit, and say what came of it."""
        try:
            findings = services.product_submit(product=product)
        except services.ReviewError:
            self.message_user(
                request,
                _("%(title)s: already submitted or listed.") % {"title": product.title},
                messages.WARNING,
            )
            return
        if findings:
            terms = ", ".join(sorted({f.term for f in findings}))
            self.message_user(
                request,
                _(
                    "%(title)s: waiting for review; it contains claims an operator will check: %(terms)s"
                )
                % {"title": product.title, "terms": terms},
                messages.WARNING,
            )
        elif product.status == Product.Status.LISTED:
            self.message_user(
                request, _("%(title)s: clean, listed now.") % {"title": product.title}
            )
        else:
            self.message_user(
                request, _("%(title)s: clean, waiting for review.") % {"title": product.title}
            )

    def response_change(self, request: HttpRequest, obj: Product) -> HttpResponse:
        """The product page's "Submit for review" button: save, then submit."""
        if SUBMIT_BUTTON in request.POST:
            self._submit(request, obj)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def render_change_form(self, request: HttpRequest, context: dict, *args, **kwargs):
        product = context.get("original")
        context["can_submit_for_review"] = (
            product is not None and product.status in services.SUBMITTABLE
        )
        context["submit_button"] = SUBMIT_BUTTON
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.action(description=_("Approve: list the selected products"))
    def approve(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._review(request, queryset, approve=True)

    @admin.action(description=_("Reject (with the review note)"))
    def reject(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._review(request, queryset, approve=False)

    def _review(self, request: HttpRequest, queryset: QuerySet[Product], *, approve: bool) -> None:
        done = 0
        for product in queryset:
            try:
                services.product_review(product=product, approve=approve, note=product.review_note)
                done += 1
            except services.ReviewError:
                continue
        self.message_user(request, _("%(count)d products reviewed.") % {"count": done})

    @admin.action(description=_("Delist the selected products"))
    def delist(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        for product in queryset:
            services.product_delist(product=product)


@admin.register(StockRecord)
class StockRecordAdmin(MerchantScopedAdmin):
    list_display = ["sku", "quantity", "level", "updated_at"]
    list_select_related = ["sku__product"]
    search_fields = ["sku__code", "sku__product__title"]
    list_editable = ["quantity"]
    fields = ["sku", "quantity"]
    readonly_fields = ["sku"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("stock level"), ordering="quantity")
    def level(self, record: StockRecord) -> str:
        if record.quantity <= 0:
            return format_html('<span class="stock-badge stock-out">{}</span>', _("Out of stock"))
        if record.quantity <= LOW_STOCK:
            return format_html('<span class="stock-badge stock-low">{}</span>', _("Low"))
        return format_html('<span class="stock-badge">{}</span>', _("In stock"))

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "quantity":
            kwargs["min_value"] = 0  # a clear form error, never the database's refusal
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: StockRecord, form, change: bool) -> None:
        """The level is set through the catalogue's service (it refuses negative stock)."""
        services.stock_set(sku=obj.sku, quantity=obj.quantity)


@admin.register(SearchSynonym)
class SearchSynonymAdmin(OperatorOnlyAdmin):
    """Search rules for the whole shop; a change re-indexes the products it touches."""

    list_display = ["term", "alternatives", "kind"]
    list_filter = ["kind"]
    search_fields = ["term", "alternatives"]

    def save_model(
        self, request: HttpRequest, obj: SearchSynonym, form: object, change: bool
    ) -> None:
        services.search_synonym_save(synonym=obj)

    def delete_model(self, request: HttpRequest, obj: SearchSynonym) -> None:
        services.search_synonym_delete(synonym=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SearchSynonym]) -> None:
        for synonym in queryset:
            services.search_synonym_delete(synonym=synonym)
