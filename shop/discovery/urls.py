from django.urls import path

from . import views

app_name = "discovery"

urlpatterns = [
    path("charts/gifts/", views.gift_charts, name="gift_charts"),
    path("gifts/finder/", views.gift_finder, name="gift_finder"),
]
