"""A hit's eight labels move to a shared Labels row, one per distinct combination, and
the raw hits' references are no longer checked by the database for each view (nor the
post's indexed).

The raw hits kept so far (KOE_ANALYTICS_KEEP_DAYS) are moved with two statements: every
distinct combination into Labels, then each hit pointed at its row. Reversible.
"""

import django.db.models.deletion
from django.db import migrations, models

from koe.analytics.models import label_key  # a pure function of the values

MOVED = [
    "is_entry", "referrer_group", "referrer", "search_terms", "device", "browser", "os",
    "language",
]  # fmt: skip
ALL = ["is_bot", *MOVED]


def _names(schema_editor):
    q = schema_editor.quote_name
    return q("analytics_hit"), q("analytics_labels"), [q(name) for name in ALL]


def labels_from_hits(apps, schema_editor):
    hit, labels, columns = _names(schema_editor)
    listed = ", ".join(columns)
    same = " AND ".join(f"l.{c} = {hit}.{c}" for c in columns)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {labels} ({listed}) SELECT DISTINCT {listed} FROM {hit}")  # noqa: S608
        cursor.execute(
            f"UPDATE {hit} SET labels_id = (SELECT l.id FROM {labels} l WHERE {same})"  # noqa: S608
        )


def keys_of_labels(apps, schema_editor):
    Labels = apps.get_model("analytics", "Labels")
    rows = list(Labels.objects.values_list("pk", *ALL))
    for start in range(0, len(rows), 1000):
        Labels.objects.bulk_update(
            [Labels(pk=pk, key=label_key(values)) for pk, *values in rows[start : start + 1000]],
            ["key"],
        )


def hits_from_labels(apps, schema_editor):
    hit, labels, columns = _names(schema_editor)
    each = ", ".join(
        f"{c} = (SELECT l.{c} FROM {labels} l WHERE l.id = {hit}.labels_id)"  # noqa: S608
        for c in columns[1:]
    )
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"UPDATE {hit} SET {each}")  # noqa: S608


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0002_timed_groups_computed_at"),
    ]

    operations = [
        migrations.CreateModel(
            name="Labels",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("is_bot", models.BooleanField(default=False)),
                ("is_entry", models.BooleanField(default=False)),
                ("referrer_group", models.CharField(max_length=8)),
                ("referrer", models.CharField(blank=True, max_length=100)),
                ("search_terms", models.CharField(blank=True, max_length=100)),
                ("device", models.CharField(max_length=8)),
                ("browser", models.CharField(blank=True, max_length=40)),
                ("os", models.CharField(blank=True, max_length=40)),
                ("language", models.CharField(blank=True, max_length=16)),
                ("key", models.BigIntegerField(null=True)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=tuple(ALL),
                        name="analytics_labels_once",
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="hit",
            name="labels",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="analytics.labels",
            ),
        ),
        migrations.RunPython(labels_from_hits, hits_from_labels, elidable=True),
        migrations.RunPython(keys_of_labels, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="labels", name="key", field=models.BigIntegerField(unique=True)
        ),
        # Undone, the columns come back before their values do: they need a default then.
        migrations.AlterField(
            model_name="hit",
            name="referrer_group",
            field=models.CharField(default="", max_length=8),
        ),
        migrations.AlterField(
            model_name="hit", name="device", field=models.CharField(default="", max_length=8)
        ),
        *[migrations.RemoveField(model_name="hit", name=name) for name in MOVED],
        migrations.AlterField(
            model_name="hit",
            name="labels",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="analytics.labels",
            ),
        ),
        # A log kept as it came: no constraint checked per view, no index on the post
        # (koe/analytics/models.py).
        migrations.AlterField(
            model_name="hit",
            name="blog",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="blogs.blog",
            ),
        ),
        migrations.AlterField(
            model_name="hit",
            name="post",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="blogs.post",
            ),
        ),
    ]
