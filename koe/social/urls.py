from django.urls import path, re_path

from koe.social import views

app_name = "social"
POST = r"^@(?P<username>[A-Za-z0-9_-]{1,30})/(?P<post_id>[0-9]{1,18})"

urlpatterns = [
    re_path(rf"{POST}/comments/$", views.comment, name="comment"),
    re_path(rf"{POST}/like$", views.like, name="like"),
    re_path(rf"{POST}/likes/$", views.likers, name="likers"),
    path("dashboard/comments/<int:comment_id>/", views.moderate_comment, name="moderate"),
]
