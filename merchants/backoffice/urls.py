from django.contrib import admin
from django.urls import path

from . import views

app_name = "backoffice"

urlpatterns = [
    path(
        "products/import/",
        admin.site.admin_view(views.catalogue_import),
        name="catalogue_import",
    ),
    path(
        "products/export.<str:file_format>",
        admin.site.admin_view(views.catalogue_export),
        name="catalogue_export",
    ),
    path(
        "tracking/import/",
        admin.site.admin_view(views.tracking_import),
        name="tracking_import",
    ),
    path("imports/<int:pk>/", admin.site.admin_view(views.import_job), name="import_job"),
    path("orders-to-ship/", admin.site.admin_view(views.orders_to_ship), name="orders_to_ship"),
]
