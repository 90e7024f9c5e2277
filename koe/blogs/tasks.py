"""Background jobs of blogs: scheduled posts come out on time, exactly once."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from koe.blogs import services


@db_periodic_task(crontab(minute="*"))
def announce_due_posts() -> int:
    """Announce scheduled posts whose time has come (readers see them on time regardless)."""
    return services.announce_due_posts()
