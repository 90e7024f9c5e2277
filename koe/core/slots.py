"""Named places in a page that later apps fill, so lower apps never import higher ones.

An app registers a renderer in its AppConfig.ready(); the page's template says
`{% slot "post_footer" post=post %}` and every renderer's HTML is placed there in order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.utils.safestring import SafeString, mark_safe

Renderer = Callable[..., str]
_renderers: dict[str, list[tuple[int, Renderer]]] = defaultdict(list)


def register(name: str, renderer: Renderer, order: int = 100) -> None:
    if all(r is not renderer for _, r in _renderers[name]):
        _renderers[name].append((order, renderer))
        _renderers[name].sort(key=lambda pair: pair[0])


def render(name: str, request, **context) -> SafeString:
    return mark_safe("".join(r(request, **context) for _, r in _renderers[name]))  # noqa: S308
