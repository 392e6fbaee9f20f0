from django.urls import path

from . import views

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
]
