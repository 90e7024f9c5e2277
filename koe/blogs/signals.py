"""What blogs tells other apps. Receivers run inside the sender's transaction."""

from django.dispatch import Signal

#: A post became readable for the first time (now or at its scheduled time); sent once per post.
post_published = Signal()
