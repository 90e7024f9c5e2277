"""Discovery's pages: search now; rankings and trends later."""

from django.urls import path

from koe.discovery import pick_views, ranking_views, trend_views, views

app_name = "discovery"

urlpatterns = [
    path("search", views.search, name="search"),
    # Rankings: fixed words first, so no genre slug can shadow them.
    path("ranking/", ranking_views.ranking, name="ranking"),
    path("ranking/about/", ranking_views.about, name="ranking_about"),
    path("ranking/official/", ranking_views.official, name="ranking_official"),
    path("ranking/manage/", ranking_views.manage, name="ranking_manage"),
    path("ranking/manage/exclude/", ranking_views.exclude, name="ranking_exclude"),
    path("ranking/manage/<int:blog_id>/restore/", ranking_views.restore, name="ranking_restore"),
    path("ranking/<slug:genre>/", ranking_views.ranking, name="ranking_genre"),
    # Editors' picks.
    path("picks/", pick_views.picks_page, name="picks"),
    path("picks/manage/", pick_views.manage, name="picks_manage"),
    path("picks/<int:pick_id>/end/", pick_views.end, name="picks_end"),
    path("picks/<int:pick_id>/headline/", pick_views.answer_headline, name="picks_headline"),
    # Trends and suggestions.
    path("trends/", trend_views.trend_list, name="trends"),
    path("trends/<slug:genre_slug>/", trend_views.trend_list, name="trends_genre"),
    path("welcome/", trend_views.welcome, name="welcome"),
    path("suggestions/", trend_views.suggestions, name="suggestions"),
]
