"""Counts the views of marked pages as they leave the server, cached or not."""

from koe.analytics import capture
from koe.core import hits, hot_settings


class CountViewsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        mark = hits.read(response)
        if mark is None or request.method != "GET" or response.status_code not in (200, 304):
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.pk == mark.owner_id:
            return response  # the blogger's own views are not counted
        capture.record(request, mark)
        return response

    @staticmethod
    def count_cached(scope: dict, meta: dict, mark: hits.Mark) -> None:
        """Count a page koe.core.fastpath answered from the cache, straight from the ASGI
        scope (no request object is made for it). Only readers without a session get
        cached pages, so this is never the blogger's own view."""
        if scope["method"] != "GET":
            return
        client = scope.get("client")
        get = meta.get
        if hot_settings.get("KOE_PROXY_COUNT", 0):
            meta["REMOTE_ADDR"] = client[0] if client else ""
            address = capture.client_address(meta)
        else:
            address = client[0] if client else ""
        capture.record_view(
            mark,
            address,
            get("HTTP_USER_AGENT", ""),
            get("HTTP_REFERER", ""),
            get("HTTP_HOST", ""),
            scope["path"],
            get("HTTP_ACCEPT_LANGUAGE", ""),
        )
