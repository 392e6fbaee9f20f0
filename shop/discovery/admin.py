from django.contrib import admin

from merchants.admin_scoping import OperatorOnlyAdmin

from .models import Occasion


@admin.register(Occasion)
class OccasionAdmin(OperatorOnlyAdmin):
    """Occasions for the gift finder; operators decide which categories suit each."""

    list_display = ["name", "name_en", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name_en"]}
    filter_horizontal = ["categories"]
    search_fields = ["name", "name_en"]
