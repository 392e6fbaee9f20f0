from django.urls import path

from . import views
from .chipin import views as chipin

app_name = "gifting"

urlpatterns = [
    path("gifts/send/<int:pk>/", views.send, name="send"),
    path("gifts/sent/", views.sent_list, name="sent_list"),
    path("gifts/sent/<int:pk>/", views.sent_detail, name="sent_detail"),
    path("gifts/sent/<int:pk>/pay/", views.pay, name="pay"),
    path("gifts/sent/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("gifts/received/", views.received, name="received"),
    path("g/<str:token>/", views.claim, name="claim"),
    path("t/<str:token>/", views.track, name="track"),
    path("gifts/chip-in/<int:pk>/", chipin.start, name="chip_in_start"),
    path("gifts/chip-ins/", chipin.mine, name="chip_in_mine"),
    path("gifts/chip-ins/<int:pk>/", chipin.status, name="chip_in_status"),
    path("gifts/chip-ins/<int:pk>/cancel/", chipin.cancel, name="chip_in_cancel"),
    path("chip-in/<str:token>/", chipin.share, name="chip_in"),
]
