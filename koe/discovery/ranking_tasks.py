"""Ranking jobs: "today so far" every quarter hour, every ranking hourly (the past days move
only with hits counted late), and everything soon after staff act."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from koe.discovery import rankings

LOCK = "koe-rankings"


@db_periodic_task(crontab(minute="*/15"))
@HUEY.lock_task(LOCK)
def compute_rankings() -> int:
    return rankings.compute_all(only_today=timezone.now().minute >= 15)


@db_task(retries=3, retry_delay=60)
def recompute_rankings() -> int:
    # The same lock as the periodic run: a run in progress makes this one retry later.
    with HUEY.lock_task(LOCK):
        return rankings.compute_all()
