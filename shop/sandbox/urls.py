from django.urls import path

from . import views

app_name = "sandbox"

urlpatterns = [
    path("pay/<str:charge_id>/", views.pay, name="pay"),
    path("pay/<str:charge_id>/complete/", views.complete, name="complete"),
]
