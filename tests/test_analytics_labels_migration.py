"""Migration analytics 0003 moves the raw hits' labels to shared Labels rows, and back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from koe.analytics.models import LABEL_FIELDS, label_key
from tests.conftest import publish

BEFORE = [("analytics", "0002_timed_groups_computed_at")]
AFTER = [("analytics", "0003_hit_labels")]
LABELS = {
    "phone": dict(is_bot=False, is_entry=True, referrer_group="search", referrer="google",
                  search_terms="東京 猫", device="phone", browser="Mobile Safari", os="iOS",
                  language="ja"),
    "bot": dict(is_bot=True, is_entry=False, referrer_group="direct", referrer="",
                search_terms="", device="bot", browser="Googlebot", os="", language=""),
}  # fmt: skip


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_labels_of_kept_hits_move_to_shared_rows_and_back(alice):
    post = publish(alice, title="Migrated")
    old = _migrate(BEFORE)
    Hit = old.get_model("analytics", "Hit")
    at = datetime(2026, 11, 20, 3, tzinfo=UTC)
    for n, kind in enumerate(["phone", "phone", "bot"]):
        Hit.objects.create(blog_id=alice.blog.pk, post_id=post.pk, ts=at, visitor=n, kind="post",
                           path=post.get_absolute_url(), **LABELS[kind])  # fmt: skip
    try:
        new = _migrate(AFTER)
        Labels = new.get_model("analytics", "Labels")
        assert Labels.objects.count() == 2  # one row per distinct combination
        moved = new.get_model("analytics", "Hit").objects.order_by("visitor")
        for hit, kind in zip(moved, ["phone", "phone", "bot"], strict=True):
            row = Labels.objects.get(pk=hit.labels_id)
            assert {f: getattr(row, f) for f in LABELS[kind]} == LABELS[kind]
            assert row.key == label_key([LABELS[kind][f] for f in LABEL_FIELDS])
            assert hit.is_bot == LABELS[kind]["is_bot"]

        back = _migrate(BEFORE)
        restored = back.get_model("analytics", "Hit").objects.order_by("visitor")
        for hit, kind in zip(restored, ["phone", "phone", "bot"], strict=True):
            assert {f: getattr(hit, f) for f in LABELS[kind]} == LABELS[kind]
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
