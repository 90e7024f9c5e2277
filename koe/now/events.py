"""Publishing to live streams: an Event row inside the writer's transaction, a wake-up after it.

Any app above social may call `publish(stream, kind, payload)` from inside a transaction
(an action or a background task): readers see the event only once it has committed, and a
rollback leaves neither the row nor a wake-up. The crisis hub uses its own stream name.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import transaction

from koe.now.models import Event

log = logging.getLogger(__name__)
#: The Redis pub/sub channel that wakes every server process's hub.
CHANNEL = "koe:now:events"
_redis_client = None


def publish(stream: str, kind: str, payload: dict) -> Event:
    """Append an event to the log; every server process is woken after the commit."""
    payload = {**payload, "t": round(time.time(), 4)}  # written at, for latency figures
    event = Event.objects.create(stream=stream, kind=kind, payload=payload)
    transaction.on_commit(lambda: wake(event.pk))
    return event


def wake(event_id: int) -> None:
    """Tell this process's hub at once, and the other processes through Redis if configured.

    A lost wake-up costs only latency: every hub also polls the log now and then.
    """
    from koe.now import hub  # the hub is async machinery; writers need not load it

    hub.wake_local(event_id)
    if settings.KOE.redis_url:
        try:
            _redis().publish(CHANNEL, str(event_id))
        except Exception:  # noqa: BLE001 - the poll delivers it a moment later
            log.warning("could not publish event %s to Redis", event_id, exc_info=True)


def _redis():
    global _redis_client
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(settings.KOE.redis_url)
    return _redis_client


def last_event_id() -> int:
    """Where a page's stream should start, so nothing between render and connect is lost."""
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
