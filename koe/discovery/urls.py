"""Discovery's pages: search now; rankings and trends later."""

from django.urls import path

from koe.discovery import trend_views, views

app_name = "discovery"

urlpatterns = [
    path("search", views.search, name="search"),
    # Trends and suggestions.
    path("trends/", trend_views.trend_list, name="trends"),
    path("trends/<slug:genre_slug>/", trend_views.trend_list, name="trends_genre"),
    path("welcome/", trend_views.welcome, name="welcome"),
    path("suggestions/", trend_views.suggestions, name="suggestions"),
]
