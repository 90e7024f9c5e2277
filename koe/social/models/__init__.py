"""Social's models, one concern per module."""

from koe.social.models.comments import Comment, Like
from koe.social.models.feed import FeedEntry, HomeVisit
from koe.social.models.follows import Follow, Mute
from koe.social.models.notifications import Notification, NotificationPreference

__all__ = [
    "Comment",
    "FeedEntry",
    "Follow",
    "HomeVisit",
    "Like",
    "Mute",
    "Notification",
    "NotificationPreference",
]
