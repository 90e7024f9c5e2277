"""Memberships (アメンバー) and reblogs (リブログ): asking, deciding, leaving, reblogging."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from koe.blogs import memberships
from koe.blogs.models import Membership, Post
from koe.blogs.views.dashboard import my_blog
from koe.blogs.views.public import blog_or_404
from koe.core.text import clean_text


def _refuse(request, error, fallback):
    messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    return redirect(fallback)


@login_required
@require_POST
@ratelimit(key="user", rate="30/h", block=True)
def request_membership(request, username):
    blog = blog_or_404(username)
    try:
        membership = memberships.do_request_membership(
            blog, request.user, is_secret=bool(request.POST.get("is_secret"))
        )
    except (PermissionDenied, ValidationError) as e:
        return _refuse(request, e, blog)
    if membership.status == Membership.Status.APPROVED:
        messages.info(request, _("You are a member of this blog already."))
    else:
        messages.success(request, _("Your request has been sent to the blogger."))
    return redirect(request.POST.get("next") or blog.get_absolute_url())


@login_required
@require_POST
def leave_membership(request, username):
    blog = blog_or_404(username)
    if memberships.do_end_membership(blog, request.user):
        messages.success(request, _("You are no longer a member of this blog."))
    else:
        messages.info(request, _("You were not a member of this blog."))
    return redirect(blog)


@login_required
@require_http_methods(["GET", "POST"])
def manage_members(request):
    blog = my_blog(request)
    if request.method == "POST":
        membership = get_object_or_404(Membership, pk=request.POST.get("membership"), blog=blog)
        action = request.POST.get("action")
        if action == "approve":
            memberships.do_decide_membership(membership, approve=True)
            messages.success(request, _("Approved."))
        elif action == "refuse":
            memberships.do_decide_membership(membership, approve=False)
            messages.success(request, _("Refused."))
        elif action == "remove":
            memberships.do_end_membership(blog, membership.member)
            messages.success(request, _("Removed from your members."))
        return redirect("blogs:members")
    all_members = blog.memberships.select_related("member").order_by("-created_at")
    context = {
        "blog": blog,
        "pending": [m for m in all_members if m.status == Membership.Status.PENDING],
        "members": [m for m in all_members if m.status == Membership.Status.APPROVED],
    }
    return render(request, "blogs/members.html", context)


def _original_or_404(username, post_id) -> Post:
    return get_object_or_404(
        Post.objects.public().select_related("blog__owner"),
        pk=post_id,
        blog__owner__username=username.lower(),
    )


@login_required
@require_http_methods(["GET", "POST"])
@ratelimit(key="user", rate="30/h", method="POST", block=True)
def reblog(request, username, post_id):
    original = _original_or_404(username, post_id)
    comment = request.POST.get("comment", "")
    error = None
    if len(comment) > 5000:
        error = _("A reblog comment can have at most 5,000 characters.")
    elif "\x00" in comment:
        error = _("Null characters are not allowed.")
    if request.method == "POST" and error is None:
        try:
            made = memberships.do_reblog(original, request.user, comment=clean_text(comment))
        except (PermissionDenied, ValidationError) as e:
            return _refuse(request, e, original)
        messages.success(request, _("Reblogged to your blog."))
        return redirect(made)
    try:
        memberships.check_can_reblog(original, request.user)
    except (PermissionDenied, ValidationError) as e:
        return _refuse(request, e, original)
    context = {"original": original, "blog": original.blog, "comment": comment, "error": error}
    return render(request, "blogs/reblog.html", context, status=400 if error else 200)
