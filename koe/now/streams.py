"""Server-Sent Events: live timelines served by the ASGI server from this process's hub.

A stream first sends what the reader missed since Last-Event-ID (or ?last=, which the
page fills in so nothing between render and connect is lost), then what the hub hands it.
Other apps serve a stream of their own with `sse_response(request, Reader(stream))`.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.db import connections
from django.http import Http404, HttpResponseForbidden, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from koe.accounts.services import is_blocked
from koe.blogs.services import is_tag_name
from koe.now.asgi import RAW_SEND
from koe.now.hub import NOW_STREAM, Reader, backlog, get_hub, gives_back_connection

RETRY_MS = 3000


def _last_event_id(request) -> int:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last") or ""
    return int(raw) if raw.isdigit() and len(raw) < 19 else -1


async def _events(request, reader: Reader, last: int):
    hub = get_hub()
    await hub.ready()
    hub.add(reader)  # before reading the backlog, so nothing falls between the two
    try:
        yield f"retry: {RETRY_MS}\n\n".encode()
        sent = 0
        if last >= 0:
            missed, sent = await sync_to_async(backlog, thread_sensitive=False)(reader, last)
            if missed:
                yield missed
        while reader.pending:
            yield reader.take_pending(after=sent)
        raw_send = request.scope.get(RAW_SEND)
        if raw_send is not None and not reader.overflow:
            # From here the hub writes to the socket itself (hub.Reader says why); this
            # response only waits until the reader is dropped or the client goes.
            reader.send = raw_send
            await reader.signal.wait()
            return
        while True:
            data = await reader.take()
            if data is None:
                return  # fell too far behind: the client reconnects and resumes
            yield data
    finally:
        reader.send = None
        hub.remove(reader)


def sse_response(request, reader: Reader) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        _events(request, reader, _last_event_id(request)), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"  # proxies must not hold events back
    return response


async def _viewer(request):
    user = await request.auser()
    # The session lookup opened a connection in this request's thread, which lives as long
    # as the stream: give it back now rather than hold one per reader.
    await sync_to_async(connections.close_all)()
    return user


@require_safe
async def public_stream(request):
    user = await _viewer(request)
    return sse_response(request, Reader(NOW_STREAM, "public", user_id=user.pk))


@require_safe
async def tag_stream(request, name):
    if not is_tag_name(name):
        raise Http404
    user = await _viewer(request)
    return sse_response(request, Reader(NOW_STREAM, "tag", name, user_id=user.pk))


@gives_back_connection
def _author_for(username, viewer):
    author = get_user_model().objects.filter(username=username.lower(), is_active=True).first()
    if author is None:
        return None, 404
    if is_blocked(author, viewer):
        return None, 403
    return author, 200


@require_safe
async def user_stream(request, username):
    user = await _viewer(request)
    author, status = await sync_to_async(_author_for, thread_sensitive=False)(username, user)
    if status == 404:
        raise Http404
    if status == 403:
        return HttpResponseForbidden(_("You cannot follow this person's posts."))
    return sse_response(request, Reader(NOW_STREAM, "user", author.pk, user_id=user.pk))


@require_safe
async def home_stream(request):
    user = await _viewer(request)
    if not user.is_authenticated:
        return HttpResponseForbidden(_("Please log in to see your home timeline."))
    return sse_response(request, Reader(NOW_STREAM, "home", user_id=user.pk))
