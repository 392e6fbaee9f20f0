from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from . import problems
from .v1 import applications, balance, catalogue, changes, charts, gifts, orders, webhooks

v1 = [
    path("categories/", catalogue.CategoryList.as_view()),
    path("products/", catalogue.ProductList.as_view()),
    path("products/<str:product_id>/", catalogue.ProductDetail.as_view()),
    path("skus/<str:sku_id>/", catalogue.SkuDetail.as_view()),
    path("orders/", orders.OrderList.as_view()),
    path("orders/<str:order_id>/", orders.OrderDetail.as_view()),
    path("orders/<str:order_id>/shipments/", orders.OrderShipments.as_view()),
    path("change-requests/", changes.ChangeRequestList.as_view()),
    path("change-requests/<str:request_id>/", changes.ChangeRequestDetail.as_view()),
    path("change-requests/<str:request_id>/approve/", changes.ChangeRequestApprove.as_view()),
    path("change-requests/<str:request_id>/reject/", changes.ChangeRequestReject.as_view()),
    path("gifts/", gifts.GiftList.as_view()),
    path("chip-ins/", gifts.ChipInCreate.as_view()),
    path("chip-ins/<str:gift_id>/", gifts.ChipInDetail.as_view()),
    path("chip-ins/<str:gift_id>/cancel/", gifts.ChipInCancel.as_view()),
    path("gifts/<str:gift_id>/", gifts.GiftDetail.as_view()),
    path("gifts/<str:gift_id>/cancel/", gifts.GiftCancel.as_view()),
    path("balance/", balance.Balance.as_view()),
    path("charts/gifts/", charts.GiftChart.as_view()),
    path("charts/rising-brands/", charts.RisingBrands.as_view()),
    path("merchant-applications/", applications.ApplicationList.as_view()),
    path("merchant-applications/<str:application_id>/", applications.ApplicationDetail.as_view()),
    path("webhook-endpoints/", webhooks.EndpointList.as_view()),
    path("webhook-endpoints/<str:endpoint_id>/", webhooks.EndpointDetail.as_view()),
    path("webhook-endpoints/<str:endpoint_id>/deliveries/", webhooks.DeliveryList.as_view()),
]

public = {"authentication_classes": [], "permission_classes": [AllowAny]}

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(**public), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", **public),
        name="api-docs",
    ),
    path("problems/<slug:slug>/", problems.describe, name="api-problem"),
]
