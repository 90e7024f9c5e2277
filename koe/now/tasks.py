"""Koe Now's background jobs: keeping the event log to the days a client may resume from."""

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from koe.now.models import Event

#: A client away longer than this reloads the page instead of resuming.
KEEP_EVENTS = timedelta(days=3)


@db_periodic_task(crontab(minute="17"))
def prune_events() -> int:
    """Delete old events; safe to run twice or in parallel (a repeat finds nothing)."""
    cutoff = timezone.now() - KEEP_EVENTS
    deleted, _rows = Event.objects.filter(created_at__lt=cutoff).delete()
    return deleted
