"""Trends, suggested blogs, the welcome step after sign-up, and discovery's parts of other
apps' pages (front page, dashboard, under each post), placed through core.slots."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from koe.blogs.models import Genre
from koe.discovery import recommendations, trends

#: More genres than there are is someone typing at the address bar.
MAX_GENRES = 20
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,50}")


def _genre_or_404(slug: str):
    if not slug:
        return None
    if not SLUG.fullmatch(slug):
        raise Http404
    return get_object_or_404(Genre, slug=slug)


@require_safe
def trend_list(request, genre_slug: str = ""):
    genre = _genre_or_404(genre_slug or request.GET.get("genre", ""))
    snap = trends.snapshot()
    context = {
        "genre": genre,
        "genres": Genre.objects.all(),
        "tags": trends.trending_tags(genre, limit=20, snap=snap),
        "posts": trends.trending_posts(request.user, genre, limit=20, snap=snap),
        "computed_at": snap.computed_at,
        "rules": {
            "hours": trends.WINDOW_HOURS,
            "days": trends.USUAL_DAYS,
            "min_volume": int(trends.MIN_VOLUME),
            "smoothing": int(trends.SMOOTHING),
            "blogs": trends.MIN_BLOGS_PER_TAG,
            "minutes": trends.CACHE_SECONDS // 60,
        },
    }
    return render(request, "discovery/trends.html", context)


def _chosen_genres(request) -> list:
    slugs = [s for s in request.GET.getlist("genre")[:MAX_GENRES] if SLUG.fullmatch(s)]
    return list(Genre.objects.filter(slug__in=slugs)) if slugs else []


@login_required
@require_safe
def welcome(request):
    chosen = _chosen_genres(request)
    context = {
        "genres": Genre.objects.all(),
        "chosen": {g.slug for g in chosen},
        "blogs": recommendations.blogs_you_may_like(request.user, chosen, limit=8),
        "next": request.get_full_path(),
    }
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        return render(request, "discovery/_suggestions.html", context)
    return render(request, "discovery/welcome.html", context)


@require_safe
def suggestions(request):
    chosen = _chosen_genres(request)
    context = {
        "genres": Genre.objects.all(),
        "chosen": {g.slug for g in chosen},
        "blogs": recommendations.blogs_you_may_like(request.user, chosen, limit=12),
        "next": request.get_full_path(),
    }
    return render(request, "discovery/welcome_blogs.html", context)


# ### Slots ###


def front_trends(request, **kwargs) -> str:
    # The front page never waits for a computation: the periodic task makes one ahead.
    snap = trends.snapshot(compute_missing=False)
    if snap is None:
        return ""
    user = getattr(request, "user", None)
    context = {
        "tags": trends.trending_tags(None, limit=8, snap=snap),
        "posts": trends.trending_posts(user, None, limit=5, snap=snap),
    }
    if not (context["tags"] or context["posts"]):
        return ""
    return render_to_string("discovery/_trends_front.html", context, request=request)


def dashboard_suggestions(request, blog=None, **kwargs) -> str:
    blogs = recommendations.blogs_you_may_like(request.user, limit=3)
    if not blogs:
        return ""
    context = {"blogs": blogs, "next": request.get_full_path()}
    return render_to_string("discovery/_suggestions_side.html", context, request=request)


def related_posts(request, post=None, **kwargs) -> str:
    if post is None:
        return ""
    user = getattr(request, "user", None)
    posts = recommendations.related_posts(post, user)
    if not posts:
        return ""
    return render_to_string("discovery/_related.html", {"posts": posts}, request=request)


def footer_link(request, **kwargs) -> str:
    return render_to_string("discovery/_trends_link.html", request=request)
