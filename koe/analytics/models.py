"""Raw hits (kept for a few weeks) and the counts rolled up from them (kept forever).

No address is ever stored: a visitor is a number made from a salted hash whose salt
changes every day and is deleted when the day is over.
"""

import hashlib

from django.db import models

from koe.blogs.models import Blog, Post

#: Labels' fields, in the order koe.analytics.capture.classified() gives their values.
LABEL_FIELDS = [
    "is_bot", "is_entry", "referrer_group", "referrer", "search_terms", "device", "browser",
    "os", "language",
]  # fmt: skip


def label_key(values) -> int:
    """A Labels row's values (in the order of LABEL_FIELDS) as one 64-bit number: the row is
    found by it with one indexed look-up, however many rows there are. (Two combinations
    sharing a key, and so a row, is a chance of about one in ten million at two million
    rows.)"""
    text = "\x1f".join(str(v) for v in values).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big", signed=True)


class Labels(models.Model):
    """What a view's untrusted headers were classified into: one row per distinct
    combination, shared by every hit that has it. A few hundred browsers and a few dozen
    referrers make most combinations, so a hit carries one small id instead of eight
    labels (about a third less work per stored view; docs/PERFORMANCE.md, Analytics)."""

    is_bot = models.BooleanField(default=False)
    #: The first page of a visit to this blog (arrived from elsewhere).
    is_entry = models.BooleanField(default=False)
    referrer_group = models.CharField(max_length=8)  # koe, search, social, direct, other
    referrer = models.CharField(max_length=100, blank=True)  # a domain, or a Koe page kind
    search_terms = models.CharField(max_length=100, blank=True)
    device = models.CharField(max_length=8)  # phone, tablet, pc, bot, other
    browser = models.CharField(max_length=40, blank=True)
    os = models.CharField(max_length=40, blank=True)
    language = models.CharField(max_length=16, blank=True)
    #: label_key() of the values above.
    key = models.BigIntegerField(unique=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=LABEL_FIELDS, name="analytics_labels_once")]

    def __str__(self) -> str:
        return f"{self.device} {self.browser} {self.os} from {self.referrer_group} {self.referrer}"


class Hit(models.Model):
    class Kind(models.TextChoices):
        TOP = "top", "blog top"
        LIST = "list", "post list"
        POST = "post", "post"

    # A log kept as it came: no constraint or index is kept up per view but the two it is
    # read by (on PostgreSQL three constraint checks and the post's index were most of a
    # row's cost). Deleting a blog deletes its hits (Django's on_delete, by the blog's
    # index); a deleted post's hits are dropped by the rollup (rollup.recompute_day), or
    # with the rest after KOE_ANALYTICS_KEEP_DAYS; its counts go with it.
    blog = models.ForeignKey(
        Blog, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    post = models.ForeignKey(
        Post,
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    ts = models.DateTimeField()
    #: Daily-salted hash of (address, user agent, blog); meaningless after the day.
    visitor = models.BigIntegerField()
    kind = models.CharField(max_length=4, choices=Kind.choices)
    path = models.CharField(max_length=200)
    #: "" unless the operator set a GeoIP database; the writer then leaves the column to
    #: the database's default (one value less a view).
    country = models.CharField(max_length=2, blank=True, default="", db_default="")
    #: Seconds on the page, from the optional beacon.
    seconds = models.PositiveIntegerField(null=True)
    #: Also in labels; kept here too, as every count of readers leaves robots out.
    is_bot = models.BooleanField(default=False)
    #: Labels rows are never deleted, so neither an index nor a constraint is kept (nor paid
    #: for by each view).
    labels = models.ForeignKey(
        Labels, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )

    class Meta:
        indexes = [models.Index(fields=["blog", "ts"], name="analytics_hit_blog_ts")]

    def __str__(self) -> str:
        return f"{self.blog_id} {self.path} {self.ts:%Y-%m-%d %H:%M}"


class DailySalt(models.Model):
    """The salt of one calendar date; deleted once that date has ended everywhere."""

    date = models.DateField(unique=True)
    salt = models.CharField(max_length=64)

    def __str__(self) -> str:
        return str(self.date)


class DailyStats(models.Model):
    """A blog's day, in the blog's time zone."""

    blog = models.ForeignKey(Blog, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    views = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)
    bot_views = models.PositiveIntegerField(default=0)
    #: Seconds on the page of the `timed` views the beacon reported: their average is
    #: seconds / timed (views without a beacon say nothing about time).
    seconds = models.PositiveBigIntegerField(default=0)
    timed = models.PositiveIntegerField(default=0)
    #: When the rollup last rewrote this day: the dashboard's cache of past days is keyed by it.
    computed_at = models.DateTimeField(null=True)
    #: Not before this does the rollup count the day again: a day that took long to count
    #: waits ten times as long as it took (rollup.COST_SHARE); for most days that is a
    #: second or less, so they are counted every minute.
    due_at = models.DateTimeField(null=True)
    #: Views have come since the day was last counted: the rollup counts it once due.
    #: (A database default too: the benchmarks write DailyStats rows in bulk SQL.)
    stale = models.BooleanField(default=False, db_default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blog", "date"], name="analytics_daily_once")
        ]
        indexes = [
            models.Index(
                fields=["due_at"], condition=models.Q(stale=True), name="analytics_daily_stale"
            )
        ]

    def __str__(self) -> str:
        return f"{self.blog_id} {self.date}: {self.views}"


class HourlyStats(models.Model):
    blog = models.ForeignKey(Blog, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()  # the start of the hour, UTC
    views = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blog", "hour"], name="analytics_hourly_once")
        ]

    def __str__(self) -> str:
        return f"{self.blog_id} {self.hour:%Y-%m-%d %H}: {self.views}"


class DailyPostStats(models.Model):
    blog = models.ForeignKey(Blog, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    views = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)
    seconds = models.PositiveBigIntegerField(default=0)
    timed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "date"], name="analytics_post_daily_once")
        ]
        indexes = [models.Index(fields=["blog", "date"], name="analytics_post_blog_date")]

    def __str__(self) -> str:
        return f"{self.post_id} {self.date}: {self.views}"


class DailyBreakdown(models.Model):
    """A blog's day split by one dimension: where readers came from, their device, ..."""

    class Dimension(models.TextChoices):
        SOURCE = "source", "referrer group"
        REFERRER = "referrer", "referrer"
        SEARCH = "search", "search terms"
        DEVICE = "device", "device"
        BROWSER = "browser", "browser"
        OS = "os", "operating system"
        LANGUAGE = "language", "language"
        COUNTRY = "country", "country"
        ENTRY = "entry", "entry page"

    blog = models.ForeignKey(Blog, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    dimension = models.CharField(max_length=10, choices=Dimension.choices)
    #: For the referrer dimension, the value's group (koe, search, social, other): a value
    #: alone cannot tell an intranet host "feed" from Koe's own feed.
    group = models.CharField(max_length=8, blank=True)
    value = models.CharField(max_length=200)
    views = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["blog", "dimension", "date"], name="analytics_breakdown_q")]

    def __str__(self) -> str:
        return f"{self.blog_id} {self.date} {self.dimension}={self.value}: {self.views}"


class RollupState(models.Model):
    """How far the rollup has got: every hit before done_until is in the counts."""

    name = models.CharField(max_length=20, unique=True)
    done_until = models.DateTimeField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.done_until}"
