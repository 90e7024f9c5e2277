"""Discovery's pages: search now; rankings and trends later."""

from django.urls import path

from koe.discovery import views

app_name = "discovery"

urlpatterns = [
    path("search", views.search, name="search"),
]
