from django.urls import path

from koe.official import views

app_name = "official"

urlpatterns = [
    path("official/", views.directory, name="directory"),
    # Before the category pattern: "apply" is no category.
    path("official/apply/", views.apply, name="apply"),
    path("official/<slug:category>/", views.directory, name="category"),
    path("staff/official/", views.moderation, name="moderation"),
    path("staff/official/<int:application_id>/approve/", views.approve, name="approve"),
    path("staff/official/<int:application_id>/refuse/", views.refuse, name="refuse"),
    path("staff/official/blogs/<int:blog_id>/revoke/", views.revoke, name="revoke"),
    path("staff/official/top-bloggers/", views.top_blogger, name="top_blogger"),
]
