from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("notify/<slug:gateway>/", views.notify, name="notify"),
    path("pay/<slug:reference>/", views.pay, name="pay"),
    path("oauth/<slug:gateway>/", views.oauth_return, name="oauth"),
]
