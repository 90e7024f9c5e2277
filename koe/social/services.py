"""Actions on comments and likes. Each checks what it may do, then owns its transaction."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from koe.accounts.services import is_blocked
from koe.blogs import services as blog_services
from koe.blogs.models import Blog, Post
from koe.core.text import clean_line, clean_text
from koe.social.models import Comment, Like
from koe.social.notifications import Kind, notify, notify_mentions


def check_can_comment(post: Post, user) -> None:
    if is_blocked(post.blog.owner, user):
        raise PermissionDenied(_("You cannot comment on this blog."))
    policy = post.blog.comment_policy
    if policy == Blog.CommentPolicy.CLOSED:
        raise PermissionDenied(_("Comments are closed on this blog."))
    if policy == Blog.CommentPolicy.USERS and not user.is_authenticated:
        raise PermissionDenied(_("Please log in to comment on this blog."))


@transaction.atomic
def do_comment(post: Post, user, *, body: str, name: str = "") -> Comment:
    check_can_comment(post, user)
    body = clean_text(body).strip()
    if not body:
        raise ValidationError(_("Please write a comment."), code="required")
    if user.is_authenticated:
        name = user.name
    else:
        name = clean_line(name)[:50]
        if not name:
            raise ValidationError(_("Please enter your name."), code="name")
    by_owner = user.is_authenticated and user.pk == post.blog.owner_id
    needs_approval = post.blog.comments_need_approval and not by_owner
    comment = Comment.objects.create(
        post=post,
        author=user if user.is_authenticated else None,
        name=name,
        body=body,
        status=Comment.Status.PENDING if needs_approval else Comment.Status.VISIBLE,
    )
    if not needs_approval:
        blog_services.adjust_counts(post.pk, comments=1)
    if not by_owner:
        kind = Kind.COMMENT_PENDING if needs_approval else Kind.COMMENT
        actor = user if user.is_authenticated else None
        notify(post.blog.owner, kind, actor=actor, blog=post.blog, post=post, text=name)
    if not needs_approval and user.is_authenticated:
        notify_mentions(body, actor=user, post=post, exclude={post.blog.owner_id})
    return comment


@transaction.atomic
def do_approve_comment(comment: Comment) -> Comment:
    updated = Comment.objects.filter(pk=comment.pk, status=Comment.Status.PENDING).update(
        status=Comment.Status.VISIBLE
    )
    if updated:
        blog_services.adjust_counts(comment.post_id, comments=1)
        if comment.author is not None:
            notify_mentions(comment.body, actor=comment.author, post=comment.post)
    comment.status = Comment.Status.VISIBLE
    return comment


@transaction.atomic
def do_delete_comment(comment: Comment) -> None:
    deleted, _rows = Comment.objects.filter(pk=comment.pk).delete()
    if deleted and comment.status == Comment.Status.VISIBLE:
        blog_services.adjust_counts(comment.post_id, comments=-1)


def check_can_like(post: Post, user) -> None:
    if not user.is_authenticated:
        raise PermissionDenied(_("Please log in to like posts."))
    if not post.blog.likes_enabled:
        raise PermissionDenied(_("This blog has switched likes off."))
    if is_blocked(post.blog.owner, user):
        raise PermissionDenied(_("You cannot like posts on this blog."))


def do_like(post: Post, user) -> bool:
    """Like once; liking again changes nothing. True when a like was added."""
    check_can_like(post, user)
    try:
        with transaction.atomic():
            Like.objects.create(post=post, user=user)
            blog_services.adjust_counts(post.pk, likes=1)
            notify(post.blog.owner, Kind.LIKE, actor=user, blog=post.blog, post=post)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def do_unlike(post: Post, user) -> bool:
    deleted, _rows = Like.objects.filter(post=post, user=user).delete()
    if deleted:
        blog_services.adjust_counts(post.pk, likes=-1)
    return bool(deleted)
