"""Counts the views of marked pages as they leave the server, cached or not."""

from koe.analytics import capture
from koe.core import hits


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
        capture.record(
            request,
            blog_id=mark.blog_id,
            post_id=mark.post_id,
            kind=mark.kind,
            owner_zone=mark.time_zone,
            username=mark.username,
        )
        return response
