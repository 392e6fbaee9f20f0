"""Operators' catalogue admin. Merchants get their own scoped admin with the merchants issue."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from . import services
from .models import Category, Product, ProductImage, Sku, StockRecord


class SubcategoryInline(admin.TabularInline):
    model = Category
    fk_name = "parent"
    extra = 0
    fields = ["name", "name_en", "slug", "giftable", "commission_rate", "position"]
    prepopulated_fields = {"slug": ["name_en"]}


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "name_en", "giftable", "commission_rate", "position"]
    list_filter = ["giftable", "parent"]
    search_fields = ["name", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [SubcategoryInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).select_related("parent")


class SkuInline(admin.TabularInline):
    model = Sku
    extra = 0
    fields = ["code", "attributes", "price", "is_active", "position"]


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ["image", "alt", "position"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["title", "merchant", "category", "status", "featured", "updated_at"]
    list_filter = ["status", "featured", "category__parent", "merchant"]
    list_select_related = ["merchant", "category"]
    search_fields = ["title", "title_en", "skus__code"]
    autocomplete_fields = ["merchant", "category"]
    inlines = [SkuInline, ProductImageInline]

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
                services.sku_save(sku=instance)
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


@admin.register(StockRecord)
class StockRecordAdmin(admin.ModelAdmin):
    list_display = ["sku", "quantity", "updated_at"]
    list_select_related = ["sku__product"]
    search_fields = ["sku__code", "sku__product__title"]
    list_editable = ["quantity"]
