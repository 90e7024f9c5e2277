"""The search document table, and beside it the full-text index of its vendor."""

import django.db.models.deletion
from django.db import migrations, models

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE discovery_fts USING fts5("
    "terms, content='discovery_searchdocument', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER discovery_fts_ai AFTER INSERT ON discovery_searchdocument BEGIN "
    "INSERT INTO discovery_fts(rowid, terms) VALUES (new.id, new.terms); END",
    "CREATE TRIGGER discovery_fts_ad AFTER DELETE ON discovery_searchdocument BEGIN "
    "INSERT INTO discovery_fts(discovery_fts, rowid, terms) VALUES ('delete', old.id, old.terms); END",
    "CREATE TRIGGER discovery_fts_au AFTER UPDATE ON discovery_searchdocument BEGIN "
    "INSERT INTO discovery_fts(discovery_fts, rowid, terms) VALUES ('delete', old.id, old.terms); "
    "INSERT INTO discovery_fts(rowid, terms) VALUES (new.id, new.terms); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS discovery_fts_au",
    "DROP TRIGGER IF EXISTS discovery_fts_ad",
    "DROP TRIGGER IF EXISTS discovery_fts_ai",
    "DROP TABLE IF EXISTS discovery_fts",
]
POSTGRES_CREATE = [
    "CREATE INDEX discovery_searchdocument_terms_gin ON discovery_searchdocument "
    "USING gin (to_tsvector('simple'::regconfig, terms))",
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS discovery_searchdocument_terms_gin"]


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("blogs", "0004_blog_followers_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("terms", models.TextField()),
                ("published_at", models.DateTimeField()),
                (
                    "blog",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="blogs.blog"
                    ),
                ),
                (
                    "post",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="blogs.post"
                    ),
                ),
            ],
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        ),
    ]
