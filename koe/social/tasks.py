"""Social's background jobs: feed fan-out and telling followers. Both are safe to repeat."""

from huey.contrib.djhuey import db_task

from koe.social import feed, notifications


@db_task(retries=3, retry_delay=5)
def fan_out_post(post_id: int) -> int:
    return feed.fan_out(post_id)


@db_task(retries=3, retry_delay=5)
def notify_followers_of_post(post_id: int) -> int:
    return notifications.notify_followers(post_id)
