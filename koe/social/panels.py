"""Social's parts of other apps' pages, placed through core.slots."""

from django.template.loader import render_to_string

from koe.social.forms import CommentForm
from koe.social.models import Comment, Like


def _liked(post, user) -> bool:
    return user.is_authenticated and Like.objects.filter(post=post, user=user).exists()


def post_reactions(request, post, **kwargs) -> str:
    if not post.blog.likes_enabled or not post.is_public:
        return ""
    context = {"post": post, "liked": _liked(post, request.user)}
    return render_to_string("social/_like.html", context, request=request)


def post_comments(request, post, **kwargs) -> str:
    if not post.is_public:
        return ""
    context = {
        "post": post,
        "comments": Comment.objects.visible().filter(post=post).select_related("author"),
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
