"""The search page, readable without an account; htmx asks for the results alone."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from koe.blogs.models import Genre
from koe.discovery import services


@require_safe
def search(request):
    filters = services.Filters(
        blog=request.GET.get("blog", "")[:30],
        official=request.GET.get("official") == "1",
        genre=request.GET.get("genre", "")[:50],
    )
    query = services.clean_query(request.GET.get("q", ""))
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx) and not htmx.history_restore_request
    results = services.do_search(query, request.user, filters, as_you_type=partial)
    context = {"results": results, "query": query, "filters": filters}
    if partial:
        return render(request, "discovery/_results.html", context)
    context["genres"] = Genre.objects.all()
    return render(request, "discovery/search.html", context)
