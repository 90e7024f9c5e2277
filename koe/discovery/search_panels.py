"""Search's parts of other apps' pages, placed through core.slots."""

from django.template.loader import render_to_string


def blog_search_box(request, blog, **kwargs) -> str:
    """A small box on a blog's sidebar that searches that blog alone."""
    return render_to_string("discovery/_blog_search.html", {"blog": blog}, request=request)
