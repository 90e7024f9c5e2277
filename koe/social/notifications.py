"""Notifications: made by actions and receivers through notify(), read on /notifications/."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from huey.contrib.djhuey import db_task

from koe.accounts.services import is_blocked
from koe.blogs.memberships import approved_member_ids
from koe.blogs.models import Post
from koe.social.models import Follow, Mute, Notification, NotificationPreference

Kind = Notification.Kind
_MENTION = re.compile(r"(?<![\w@/])@([a-z0-9][a-z0-9_-]{1,29})\b", re.IGNORECASE)
MAX_MENTIONS = 10


def preferences_for(user) -> dict[str, tuple[bool, bool]]:
    """kind → (on the site, by e-mail), with the defaults filled in."""
    chosen = {
        p.kind: (p.on_site, p.by_email)
        for p in NotificationPreference.objects.filter(user_id=user.pk)
    }
    return {kind: chosen.get(kind, (True, False)) for kind in Kind.values}


def notify(recipient, kind: str, *, actor=None, blog=None, post=None, target=None, text: str = ""):
    """Tell someone, unless it is about themselves, they muted or blocked the actor,
    or they chose not to hear of this kind. Call inside the action's transaction.

    `target` is what it is about when that is not a blog post (see with_links); keep its
    words out of `text`, which stays however the target changes later."""
    if recipient is None or not recipient.is_active:
        return None
    if actor is not None:
        if actor.pk == recipient.pk or is_blocked(actor, recipient):
            return None
        if Mute.objects.filter(user_id=recipient.pk, blog__owner_id=actor.pk).exists():
            return None
    on_site, by_email = preferences_for(recipient)[kind]
    notification = None
    if on_site or by_email:
        notification = Notification.objects.create(
            recipient=recipient,
            kind=kind,
            actor=actor,
            blog=blog,
            post=post,
            target=target,
            text=text[:300],
            read_at=None if on_site else timezone.now(),
        )
    if by_email and recipient.email:
        transaction.on_commit(lambda: email_notification(notification.pk))
    return notification


def notify_mentions(text: str, *, actor, post, exclude=()) -> int:
    """@username in a post or comment tells that person, once each, at most ten."""
    names = {m.lower() for m in _MENTION.findall(text or "")}
    if not names:
        return 0
    User = get_user_model()
    people = User.objects.filter(username__in=list(names)[:MAX_MENTIONS], is_active=True)
    sent = 0
    for person in people:
        if person.pk in exclude:
            continue
        # Deny by default: nobody hears of a post they may not read.
        if not _can_read(person, post):
            continue
        sent += bool(notify(person, Kind.MENTION, actor=actor, blog=post.blog, post=post))
    return sent


def _can_read(user, post) -> bool:
    return Post.objects.visible_to(user).filter(pk=post.pk).exists()


@dataclass(frozen=True)
class Link:
    url: str
    excerpt: str


def with_links(notifications: list[Notification], reader) -> list[Notification]:
    """Give each notification `readable_post` and `link` (a Link or None) for this reader.

    A target takes part when its model has get_absolute_url() and a default manager with
    visible_to(reader); it may name itself with a `notification_excerpt` property.
    Deny by default: a target that is gone, that the reader may no longer see, or whose model
    cannot say who may see it gives no link and no words. One query per kind of target.
    """
    post_ids = {n.post_id for n in notifications if n.post_id}
    readable = set(
        Post.objects.visible_to(reader).filter(pk__in=post_ids).values_list("pk", flat=True)
    )
    wanted: dict[int, set[int]] = {}
    for n in notifications:
        if n.target_type_id and n.target_id:
            wanted.setdefault(n.target_type_id, set()).add(n.target_id)
    found: dict[tuple[int, int], object] = {}
    for type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        manager = getattr(model, "_default_manager", None)
        if manager is None or not hasattr(manager, "visible_to"):
            continue
        for target in manager.visible_to(reader).filter(pk__in=ids):
            found[(type_id, target.pk)] = target
    for n in notifications:
        n.readable_post = n.post if n.post_id in readable else None
        target = found.get((n.target_type_id, n.target_id))
        n.link = None
        if target is not None:
            excerpt = getattr(target, "notification_excerpt", "") or ""
            n.link = Link(target.get_absolute_url(), excerpt[:100])
    return notifications


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


@transaction.atomic
def do_mark_read(user, ids=None) -> int:
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


@transaction.atomic
def do_set_preferences(user, choices: dict[str, tuple[bool, bool]]) -> None:
    for kind, (on_site, by_email) in choices.items():
        if kind in Kind.values:
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"on_site": on_site, "by_email": by_email}
            )


def notify_followers(post_id: int) -> int:
    """Tell the followers who asked to hear of new posts, and may read this one.

    Safe to repeat: a follower already told about this post is not told again.
    """
    post = Post.objects.published().select_related("blog__owner").filter(pk=post_id).first()
    if post is None or post.visibility == Post.Visibility.PRIVATE:
        return 0
    # Only those who followed before the post came out: a late run must not tell a new
    # follower about an old post.
    wanting = Follow.objects.filter(
        blog_id=post.blog_id, notify_posts=True, created_at__lte=post.published_at
    )
    if post.visibility == Post.Visibility.MEMBERS:
        wanting = wanting.filter(follower_id__in=approved_member_ids(post.blog))
    told = Notification.objects.filter(kind=Kind.NEW_POST, post=post).values("recipient_id")
    sent = 0
    for follow in wanting.exclude(follower_id__in=told).select_related("follower").iterator():
        with transaction.atomic():
            sent += bool(
                notify(
                    follow.follower, Kind.NEW_POST, actor=post.blog.owner, blog=post.blog, post=post
                )
            )
    return sent


@db_task(retries=3, retry_delay=60)
def email_notification(notification_id: int) -> bool:
    notification = (
        Notification.objects.select_related(
            "recipient", "actor", "post__blog__owner", "blog__owner"
        )
        .filter(pk=notification_id, emailed_at__isnull=True)
        .first()
    )
    if notification is None:
        return False
    recipient = notification.recipient
    with_links([notification], recipient)  # a direct address, never the target's words
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        context = {"n": notification, "BASE_URL": settings.BASE_URL}
        subject = render_to_string("social/email/notification_subject.txt", context).strip()
        body = render_to_string("social/email/notification.txt", context)
    # Claimed before sending, so a second consumer or a repeat run sends nothing;
    # a failed send gives the claim back for the retry.
    pending = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True)
    if not pending.update(emailed_at=timezone.now()):
        return False
    try:
        send_mail(subject, body, None, [recipient.email])
    except Exception:
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise
    return True
