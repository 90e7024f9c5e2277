"""Rankings' and picks' parts of other apps' pages, placed through core.slots."""

from django.template.loader import render_to_string

from koe.discovery import picks
from koe.discovery.models import Pick
from koe.discovery.ranking_exclusions import exclusion_of


def front_picks(request, **kwargs) -> str:
    live = picks.front_picks()
    if not live:
        return ""
    return render_to_string("discovery/_picks_front.html", {"picks": live}, request=request)


def dashboard_notices(request, blog, **kwargs) -> str:
    """The blogger's own news: a blog taken out of the rankings (and why), and headlines
    editors proposed for their picked posts, waiting for an answer."""
    context = {
        "exclusion": exclusion_of(blog),
        "waiting": list(picks.waiting_headlines(blog.owner)),
        "picked": Pick.objects.live().filter(post__blog_id=blog.pk).select_related("post")[:5],
    }
    if not (context["exclusion"] or context["waiting"] or context["picked"]):
        return ""
    return render_to_string("discovery/_picks_dashboard.html", context, request=request)


def staff_pick_link(request, post, **kwargs) -> str:
    user = getattr(request, "user", None)
    if user is None or not (user.is_active and user.is_staff) or not post.is_public:
        return ""
    return render_to_string("discovery/_picks_post.html", {"post": post}, request=request)


def footer_links(request, **kwargs) -> str:
    return render_to_string("discovery/_picks_footer_link.html", request=request)
