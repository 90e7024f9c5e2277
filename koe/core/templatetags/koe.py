"""Template helpers available in every template (registered as builtins)."""

from django import template
from django.utils.http import urlencode

from koe.core import slots

register = template.Library()


@register.simple_tag(takes_context=True)
def slot(context, name, **kwargs):
    return slots.render(name, context.get("request"), **kwargs)


@register.simple_tag(takes_context=True)
def query(context, **kwargs):
    """The current query string with some parameters replaced."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(params, doseq=True) if params else "?"
