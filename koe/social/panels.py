"""Social's parts of other apps' pages, placed through core.slots."""

from django.template.loader import render_to_string

from koe.social.forms import CommentForm
from koe.social.models import Comment, Follow, Like, Mute
from koe.social.notifications import unread_count


def liked_by(post, user) -> bool:
    return user.is_authenticated and Like.objects.filter(post=post, user=user).exists()


def post_reactions(request, post, **kwargs) -> str:
    if not post.blog.likes_enabled or not post.is_public:
        return ""
    context = {"post": post, "liked": liked_by(post, request.user)}
    return render_to_string("social/_like.html", context, request=request)


def post_comments(request, post, **kwargs) -> str:
    if not post.is_public:
        return ""
    context = {
        "post": post,
        "comments": Comment.objects.visible().filter(post=post).select_related("author__blog"),
        "form": kwargs.get("comment_form") or CommentForm(),
        "is_owner": request.user.is_authenticated and request.user.pk == post.blog.owner_id,
    }
    return render_to_string("social/_comments.html", context, request=request)


def pending_comments(request, blog, **kwargs) -> str:
    pending = (
        Comment.objects.pending()
        .filter(post__blog=blog)
        .select_related("post__blog__owner")
        .order_by("-created_at")[:20]
    )
    return render_to_string("social/_pending.html", {"pending": pending}, request=request)


def follow_context(request, blog) -> dict:
    user = request.user
    follow = None
    muted = False
    if user.is_authenticated and user.pk != blog.owner_id:
        follow = Follow.objects.filter(follower=user, blog=blog).first()
        muted = Mute.objects.filter(user=user, blog=blog).exists()
    return {"blog": blog, "follow": follow, "muted": muted}


def follow_box(request, blog, **kwargs) -> str:
    return render_to_string("social/_follow.html", follow_context(request, blog), request=request)


def header_links(request, **kwargs) -> str:
    if request is None or not request.user.is_authenticated:
        return ""
    context = {"unread": unread_count(request.user)}
    return render_to_string("social/_header.html", context, request=request)
