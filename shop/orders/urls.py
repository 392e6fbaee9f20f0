from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("checkout/", views.checkout, name="checkout"),
    path("payment/<str:reference>/", views.payment, name="payment"),
    path("payment/<str:reference>/pay/", views.payment_retry, name="payment_retry"),
    path("", views.order_list, name="list"),
    path("<str:number>/", views.order_detail, name="detail"),
    path("<str:number>/cancel/", views.order_cancel, name="cancel"),
    path("<str:number>/refund/", views.refund_request, name="refund_request"),
]
