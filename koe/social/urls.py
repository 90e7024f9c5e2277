from django.urls import path, re_path

from koe.social.views import comments, follows, home, notifications

app_name = "social"
USER = r"^@(?P<username>[A-Za-z0-9_-]{1,30})"
POST = USER + r"/(?P<post_id>[0-9]{1,18})"

urlpatterns = [
    path("home/", home.home, name="home"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read", notifications.mark_read, name="mark_read"),
    path("notifications/unread", notifications.unread, name="unread"),
    path("notifications/settings/", notifications.settings_view, name="notification_settings"),
    path("dashboard/comments/<int:comment_id>/", comments.moderate_comment, name="moderate"),
    re_path(rf"{USER}/follow$", follows.follow, name="follow"),
    re_path(rf"{USER}/unfollow$", follows.unfollow, name="unfollow"),
    re_path(rf"{USER}/follow/options$", follows.follow_options, name="follow_options"),
    re_path(rf"{USER}/mute$", follows.mute, name="mute"),
    re_path(rf"{USER}/followers/$", follows.followers, name="followers"),
    re_path(rf"{USER}/following/$", follows.following, name="following"),
    re_path(rf"{POST}/comments/$", comments.comment, name="comment"),
    re_path(rf"{POST}/like$", comments.like, name="like"),
    re_path(rf"{POST}/likes/$", comments.likers, name="likers"),
]
