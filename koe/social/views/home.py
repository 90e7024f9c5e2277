"""The signed-in reader's home feed at /home/, with more loaded as they scroll."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_safe

from koe.blogs.views.public import attach_originals
from koe.social.feed import Cursor, home_feed
from koe.social.models import Follow, HomeVisit


@login_required
@require_safe
def home(request):
    cursor = Cursor.parse(request.GET.get("cursor"))
    posts, next_cursor = home_feed(request.user, cursor=cursor)
    attach_originals(posts, request.user)
    if cursor is None:
        visit = HomeVisit.objects.filter(user=request.user).first()
        last_seen = visit.seen_at if visit else None
        # Later pages of this visit compare with the same moment, not with this visit.
        request.session["home_last_seen"] = last_seen.isoformat() if last_seen else ""
    else:
        last_seen = parse_datetime(request.session.get("home_last_seen") or "")
    if last_seen is not None:
        for post in posts:
            post.is_new = post.published_at > last_seen
    context = {"posts": posts, "next_cursor": next_cursor, "last_seen": last_seen}
    if request.htmx and cursor is not None:
        return render(request, "social/_feed_page.html", context)
    if cursor is None:
        HomeVisit.objects.update_or_create(user=request.user, defaults={"seen_at": timezone.now()})
    context["following_count"] = Follow.objects.filter(follower=request.user).count()
    return render(request, "social/home.html", context)
