"""What blogs tells other apps. Receivers run inside the sender's transaction."""

from django.dispatch import Signal

#: A post became readable for the first time (now or at its scheduled time); sent once per post.
post_published = Signal()
#: Someone asked to become a member: membership=the pending Membership.
membership_requested = Signal()
#: The blogger answered: membership=the Membership, approved=True/False.
membership_decided = Signal()
#: A post was reblogged: reblog=the new Post, original=the reblogged Post.
post_reblogged = Signal()
