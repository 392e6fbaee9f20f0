from django.urls import path

from . import views

app_name = "merchants"

urlpatterns = [
    path("open-a-shop/", views.apply, name="apply"),
    path("open-a-shop/<str:key>/", views.application_status, name="application_status"),
]
