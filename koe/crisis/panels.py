"""The crisis hub's parts of every page: the banner under the header and a footer link."""

from django.template.loader import render_to_string

from koe.crisis.services import active_crises


def banner(request, **kwargs) -> str:
    active = active_crises()
    if not active:
        return ""
    return render_to_string("crisis/_banner.html", {"active": active}, request=request)


def footer_link(request, **kwargs) -> str:
    return render_to_string("crisis/_footer_link.html", request=request)
