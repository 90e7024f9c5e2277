"""Analytics jobs: roll hits up every minute, forget old hits and salts every night."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from koe.analytics import capture, rollup


@db_periodic_task(crontab(minute="*"))
@HUEY.lock_task("koe-analytics-rollup")
def roll_up_hits() -> int:
    return rollup.rollup()


@db_periodic_task(crontab(minute="7", hour="*"))
def forget_old_hits_and_salts() -> tuple[int, int]:
    hits = rollup.delete_old_hits()
    salts = capture.delete_old_salts(timezone.now())
    return hits, salts
