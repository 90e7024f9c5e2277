"""Ranking pages, readable without an account, and staff's page to take blogs out and back."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_ratelimit.decorators import ratelimit

from koe.blogs.models import OFFICIAL_CATEGORIES, Blog, Genre
from koe.core import pagecache
from koe.core.decorators import staff_required
from koe.discovery import ranking_exclusions, rankings
from koe.discovery.models import Ranking, RankingExclusion

PER_PAGE = 25
CATEGORY_NAMES = dict(OFFICIAL_CATEGORIES)
STAFF_RATE = "60/m"
Period = Ranking.Period
PERIOD_TABS = [(p.value, p.label) for p in (Period.DAY, Period.MONTH, Period.TODAY)]


def _choice(request, name: str, allowed, default: str) -> str:
    value = request.GET.get(name, "")
    return value if value in allowed else default


def _ranking_page(request, *, board: str, template_context: dict, posts_allowed: bool):
    period = _choice(request, "period", Ranking.Period.values, Ranking.Period.DAY)
    kind = Ranking.Kind.BLOGS
    if posts_allowed:
        kind = _choice(request, "show", Ranking.Kind.values, Ranking.Kind.BLOGS)
    ranking = rankings.latest(kind, board, period)
    page = Paginator(rankings.entries(ranking), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "ranking": ranking,
        "page": page,
        "period": period,
        "periods": PERIOD_TABS,
        "kind": kind,
        "posts_allowed": posts_allowed,
        "genres": Genre.objects.all(),
        **template_context,
    }
    return render(request, "discovery/ranking.html", context)


@require_safe
@pagecache.site_page
def ranking(request, genre=None):
    if genre is None:
        return _ranking_page(
            request, board="all", template_context={"genre": None}, posts_allowed=True
        )
    genre = get_object_or_404(Genre, slug=genre)
    return _ranking_page(
        request, board=f"genre:{genre.slug}", template_context={"genre": genre}, posts_allowed=True
    )


@require_safe
@pagecache.site_page
def official(request):
    category = request.GET.get("category", "")
    if category and category not in CATEGORY_NAMES:
        raise Http404
    counts = dict(
        Blog.objects.exclude(official_category="")
        .values("official_category")
        .annotate(n=Count("pk"))
        .values_list("official_category", "n")
    )
    context = {
        "official": True,
        "category": category,
        "category_name": CATEGORY_NAMES.get(category, ""),
        "categories": [(slug, name) for slug, name in OFFICIAL_CATEGORIES if counts.get(slug)],
    }
    board = f"official:{category}" if category else "official"
    return _ranking_page(request, board=board, template_context=context, posts_allowed=False)


@require_safe
@pagecache.site_page
def about(request):
    context = {"top": rankings.TOP, "per_page": PER_PAGE}
    return render(request, "discovery/ranking_about.html", context)


# ### Staff ###


def _manage_page(request, *, status=200, errors=(), username="", reason=""):
    excluded = RankingExclusion.objects.active().select_related("blog__owner", "excluded_by")
    context = {
        "excluded": excluded[:200],
        "history": RankingExclusion.objects.filter(restored_at__isnull=False).select_related(
            "blog__owner", "restored_by"
        )[:20],
        "errors": errors,
        "username": username,
        "reason": reason,
        "max_reason": ranking_exclusions.MAX_REASON,
    }
    return render(request, "discovery/ranking_manage.html", context, status=status)


@staff_required
@require_safe
def manage(request):
    return _manage_page(request, username=request.GET.get("blog", "")[:40])


@staff_required
@require_POST
@ratelimit(key="user", rate=STAFF_RATE, block=True)
def exclude(request):
    username = request.POST.get("blog", "").strip().removeprefix("@")[:40]
    reason = request.POST.get("reason", "")
    blog = Blog.objects.filter(owner__username__iexact=username).first() if username else None
    if blog is None:
        errors = [_("No blog with that username.")]
        return _manage_page(request, status=400, errors=errors, username=username, reason=reason)
    try:
        ranking_exclusions.do_exclude(blog, request.user, reason)
    except ValidationError as e:
        return _manage_page(
            request, status=400, errors=e.messages, username=username, reason=reason[:500]
        )
    messages.success(request, _("The blog is out of the rankings. Its blogger sees why."))
    return redirect("discovery:ranking_manage")


@staff_required
@require_POST
@ratelimit(key="user", rate=STAFF_RATE, block=True)
def restore(request, blog_id):
    blog = get_object_or_404(Blog, pk=blog_id)
    if ranking_exclusions.do_restore(blog, request.user):
        messages.success(request, _("The blog is back in the rankings."))
    return redirect("discovery:ranking_manage")
