from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("privacy/", views.notice, name="notice"),
    path("privacy/v<int:version>/", views.notice, name="notice_version"),
    path("account/my-data/", views.export, name="export"),
    path("account/delete/", views.delete_account, name="delete_account"),
    path("g/<str:token>/erase/", views.claim_erase, name="claim_erase"),
]
