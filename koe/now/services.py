"""Actions on short posts. Each checks, owns its transaction, and publishes after commit."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from koe.accounts.services import is_blocked
from koe.blogs import services as blog_services
from koe.blogs.models import Tag
from koe.core import images
from koe.core.text import clean_text
from koe.now import text as now_text
from koe.now.events import publish
from koe.now.hub import NOW_STREAM
from koe.now.models import MAX_IMAGES, MAX_LENGTH, ShortPost, ShortPostLike
from koe.social.notifications import Kind, notify

#: A person may write this many short posts (replies and reposts included) per minute.
POSTS_PER_MINUTE = 10


def _payload(post: ShortPost) -> dict:
    """What a live event says: enough for a stream to choose its readers, no words."""
    return {
        "post": post.pk,
        "author": post.author_id,
        "user": post.author.username,
        "vis": post.visibility,
        "tags": [t.name for t in post.tags.all()],
        "reply": post.reply_to_id,
        "repost": post.repost_of_id,
    }


def check_not_flooding(user) -> None:
    since = timezone.now() - timedelta(minutes=1)
    if ShortPost.objects.filter(author=user, created_at__gte=since).count() >= POSTS_PER_MINUTE:
        raise ValidationError(
            _("You are posting very fast. Please wait a minute and try again."), code="flood"
        )


def check_can_reply(user, parent: ShortPost | None) -> None:
    if parent is None or not ShortPost.objects.visible_to(user).filter(pk=parent.pk).exists():
        raise ValidationError(
            _("The post you are replying to is gone or hidden."), code="reply_gone"
        )
    if parent.repost_of_id:
        raise ValidationError(_("Please reply to the original post."), code="reply_repost")


def check_text(raw: str, *, image_count: int = 0) -> str:
    body = clean_text(raw or "").strip()
    if not body and not image_count:
        raise ValidationError(_("Please write something."), code="empty")
    if len(body) > MAX_LENGTH:
        raise ValidationError(
            _("A short post can have at most %(n)d characters (this one has %(m)d)."),
            code="too_long",
            params={"n": MAX_LENGTH, "m": len(body)},
        )
    if image_count > MAX_IMAGES:
        raise ValidationError(
            _("A short post can have at most %(n)d images."),
            code="too_many_images",
            params={"n": MAX_IMAGES},
        )
    return body


def do_post(
    user,
    *,
    text: str,
    visibility: str = ShortPost.Visibility.PUBLIC,
    reply_to: ShortPost | None = None,
    is_reply: bool = False,
    uploads=(),
    alts=(),
    rate_limited: bool = True,
) -> ShortPost:
    """Write a short post (a reply when is_reply); nothing is stored when anything is wrong.

    rate_limited=False is for `koe demo`, which writes a lively timeline in one go.
    """
    if not user.is_authenticated:
        raise PermissionDenied(_("Please log in to post."))
    uploads = list(uploads)
    body = check_text(text, image_count=len(uploads))
    if visibility not in ShortPost.Visibility.values:
        raise ValidationError(_("Please choose who can read it."), code="visibility")
    if is_reply or reply_to is not None:
        check_can_reply(user, reply_to)
    for upload in uploads:
        images.validate_image(upload)
    stored = []
    try:
        with transaction.atomic():
            if rate_limited:
                check_not_flooding(user)
            post = ShortPost.objects.create(
                author=user,
                text=body,
                html=now_text.render(body),
                visibility=visibility,
                reply_to=reply_to,
                is_reply=reply_to is not None,
            )
            alts = list(alts) + [""] * len(uploads)
            for upload, alt in zip(uploads, alts, strict=False):
                image = blog_services.do_upload_image(user, upload, alt=alt)
                stored.append(image)
                post.images.add(image)
            post.tags.set([Tag.objects.get_or_create(name=n)[0] for n in now_text.hashtags(body)])
            if reply_to is not None:
                ShortPost.objects.filter(pk=reply_to.pk).update(reply_count=F("reply_count") + 1)
                _tell(reply_to.author, Kind.MENTION, post)
            _notify_mentions(post, exclude={reply_to.author_id} if reply_to else set())
            publish(NOW_STREAM, "post", _payload(post))
    except Exception:
        images.delete_files([f for image in stored for f in image.files])
        raise
    return post


def _notify_mentions(post: ShortPost, exclude: set[int]) -> None:
    names = now_text.mentions(post.text)
    if not names:
        return
    people = get_user_model().objects.filter(username__in=names, is_active=True)
    for person in people:
        if person.pk in exclude or person.pk == post.author_id:
            continue
        _tell(person, Kind.MENTION, post)


def _tell(person, kind: str, post: ShortPost) -> None:
    """Notify with a link to the post (never a copy of its words, which may change or go).

    Deny by default: nobody hears of a post they may not read (a followers-only reply
    to someone who does not follow its author tells them nothing)."""
    if ShortPost.objects.visible_to(person).filter(pk=post.pk).exists():
        notify(person, kind, actor=post.author, target=post)


def check_can_delete(user, post: ShortPost) -> None:
    if not user.is_authenticated or (post.author_id != user.pk and not user.is_staff):
        raise PermissionDenied(_("You can only delete your own posts."))


@transaction.atomic
def do_delete(user, post: ShortPost) -> None:
    check_can_delete(user, post)
    payload = _payload(post)
    files = [f for image in post.images.all() for f in image.files]
    post.images.all().delete()
    if post.reply_to_id:
        ShortPost.objects.filter(pk=post.reply_to_id, reply_count__gt=0).update(
            reply_count=F("reply_count") - 1
        )
    if post.repost_of_id:
        ShortPost.objects.filter(pk=post.repost_of_id, repost_count__gt=0).update(
            repost_count=F("repost_count") - 1
        )
    post.delete()
    transaction.on_commit(lambda: images.delete_files(files))
    publish(NOW_STREAM, "delete", payload)


def check_can_react(user, post: ShortPost) -> None:
    if not user.is_authenticated:
        raise PermissionDenied(_("Please log in first."))
    if is_blocked(post.author, user):
        raise PermissionDenied(_("You cannot react to this person's posts."))


def do_like(user, post: ShortPost) -> bool:
    """Like once; liking again changes nothing. True when a like was added."""
    check_can_react(user, post)
    try:
        with transaction.atomic():
            ShortPostLike.objects.create(post=post, user=user)
            ShortPost.objects.filter(pk=post.pk).update(like_count=F("like_count") + 1)
            notify(post.author, Kind.LIKE, actor=user, target=post)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def do_unlike(user, post: ShortPost) -> bool:
    deleted, _rows = ShortPostLike.objects.filter(post=post, user=user).delete()
    if deleted:
        ShortPost.objects.filter(pk=post.pk, like_count__gt=0).update(
            like_count=F("like_count") - 1
        )
    return bool(deleted)


def do_repost(user, post: ShortPost) -> ShortPost:
    """Repost a public post once; reposting again returns the first repost."""
    check_can_react(user, post)
    if post.repost_of_id:
        post = post.repost_of
    if not post.is_public:
        raise ValidationError(_("Only public posts can be reposted."), code="not_public")
    if post.author_id == user.pk:
        raise ValidationError(_("You cannot repost your own post."), code="own")
    existing = ShortPost.objects.filter(author=user, repost_of=post).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            check_not_flooding(user)
            repost = ShortPost.objects.create(author=user, repost_of=post)
            ShortPost.objects.filter(pk=post.pk).update(repost_count=F("repost_count") + 1)
            notify(post.author, Kind.REBLOG, actor=user, target=post)
            publish(NOW_STREAM, "post", _payload(repost))
    except IntegrityError:
        return ShortPost.objects.get(author=user, repost_of=post)
    return repost
