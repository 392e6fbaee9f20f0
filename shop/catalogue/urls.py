from django.urls import path

from . import views

app_name = "catalogue"

urlpatterns = [
    path("", views.home, name="home"),
    path("products/", views.ProductListView.as_view(), name="product_list"),
    path("products/<int:pk>/", views.product_detail, name="product_detail"),
    path("search/suggest/", views.search_suggest, name="search_suggest"),
    path("c/<slug:slug>/", views.ProductListView.as_view(), name="category"),
]
