"""Koe Now's addresses, under /now/: a post is /now/<id>/, a person's posts /now/@<name>/."""

from django.urls import path

from koe.now import streams, views

app_name = "now"

urlpatterns = [
    path("", views.public, name="public"),
    path("home/", views.home, name="home"),
    path("tags/<str:name>/", views.tag, name="tag"),
    path("@<str:username>/", views.user, name="user"),
    path("<int:post_id>/", views.post, name="post"),
    path("post", views.compose, name="compose"),
    path("<int:post_id>/delete", views.delete, name="delete"),
    path("<int:post_id>/like", views.like, name="like"),
    path("<int:post_id>/repost", views.repost, name="repost"),
    path("stream/public", streams.public_stream, name="public_stream"),
    path("stream/home", streams.home_stream, name="home_stream"),
    path("stream/tags/<str:name>", streams.tag_stream, name="tag_stream"),
    path("stream/@<str:username>", streams.user_stream, name="user_stream"),
]
