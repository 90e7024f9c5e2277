"""Discovery's tables: the search index, stored rankings with staff exclusions, editors' picks."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from koe.blogs.models import Blog, Post


class SearchDocument(models.Model):
    """A public post's searchable terms. The full-text index over `terms` lives beside
    this table (FTS5 on SQLite, a GIN expression index on PostgreSQL), made in migrations."""

    post = models.OneToOneField(Post, on_delete=models.CASCADE, related_name="+")
    blog = models.ForeignKey(Blog, on_delete=models.CASCADE, related_name="+")
    terms = models.TextField()
    published_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"search document for post {self.post_id}"


# ### Rankings ###


class Ranking(models.Model):
    """One computed list: a period's top blogs (or posts) on one board, stored so that
    pages read a few rows. Recomputed whole by the ranking task, never added to."""

    class Period(models.TextChoices):
        TODAY = "today", _("Today so far")
        DAY = "day", _("Daily")
        MONTH = "month", _("Monthly")

    class Kind(models.TextChoices):
        BLOGS = "blogs", _("Blogs")
        POSTS = "posts", _("Popular posts")

    period = models.CharField(max_length=5, choices=Period.choices)
    #: The day ranked, or the first day of the month ranked.
    start = models.DateField()
    #: The last day counted (for a month in progress, the day before the computation).
    end = models.DateField()
    kind = models.CharField(max_length=5, choices=Kind.choices)
    #: "all", "genre:<slug>", "official" or "official:<category>".
    board = models.CharField(max_length=40)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "start", "kind", "board"], name="discovery_ranking_once"
            )
        ]
        indexes = [
            models.Index(fields=["kind", "board", "period", "-start"], name="discovery_rank_latest")
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.start} {self.kind} {self.board}"


class RankingEntry(models.Model):
    ranking = models.ForeignKey(Ranking, on_delete=models.CASCADE, related_name="entries")
    rank = models.PositiveIntegerField()
    blog = models.ForeignKey(Blog, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, null=True, on_delete=models.CASCADE, related_name="+")
    readers = models.PositiveIntegerField()
    #: The rank in the period before; None when it was not ranked then ("new").
    previous_rank = models.PositiveIntegerField(null=True)

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["ranking", "rank"], name="discovery_rank_once")
        ]

    def __str__(self) -> str:
        return f"#{self.rank} {self.blog_id} ({self.readers})"

    @property
    def change(self) -> int | None:
        """Places gained (positive) or lost since the period before; None when new."""
        return None if self.previous_rank is None else self.previous_rank - self.rank

    @property
    def places(self) -> int:
        """How many places it moved, up or down."""
        return abs(self.change or 0)


class RankingExclusionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(restored_at__isnull=True)


class RankingExclusion(models.Model):
    """Staff took a blog out of the rankings (for manipulation), with the reason the blogger
    sees. Restoring keeps the row, so the history stays."""

    blog = models.ForeignKey(Blog, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    excluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    restored_at = models.DateTimeField(null=True, blank=True)
    restored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RankingExclusionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["blog"],
                condition=models.Q(restored_at__isnull=True),
                name="discovery_excluded_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.blog_id} excluded: {self.reason}"


# ### Editors' picks ###


class PickQuerySet(models.QuerySet):
    def live(self, now=None):
        """Picks showing now: started, not ended, of a post anyone may read at this moment."""
        now = now or timezone.now()
        public = Post.objects.public().filter(pk=models.OuterRef("post_id"))
        return self.filter(starts_at__lte=now, ends_at__gt=now).filter(models.Exists(public))


class Pick(models.Model):
    """Staff feature a public post for a while (like アメトピ). The post's own title is shown;
    a headline staff propose is shown only once the author accepts it."""

    class Headline(models.TextChoices):
        NONE = "", _("No headline proposed")
        PROPOSED = "proposed", _("Waiting for the author")
        ACCEPTED = "accepted", _("Accepted by the author")
        DECLINED = "declined", _("Declined by the author")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    picked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    headline = models.CharField(_("proposed headline"), max_length=120, blank=True)
    headline_status = models.CharField(
        max_length=8, choices=Headline.choices, default=Headline.NONE, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PickQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["ends_at", "starts_at"], name="discovery_pick_window")]

    def __str__(self) -> str:
        return f"pick of {self.post_id} {self.starts_at:%Y-%m-%d}–{self.ends_at:%Y-%m-%d}"

    @property
    def shown_title(self) -> str:
        if self.headline and self.headline_status == self.Headline.ACCEPTED:
            return self.headline
        return self.post.title
