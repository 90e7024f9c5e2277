"""PostgreSQL: each document's tsvector stored beside its terms, and the GIN index on it, so a
match is checked and ranked without parsing the document again (SQLite's FTS5 needs nothing)."""

from django.db import migrations

POSTGRES_FORWARD = [
    "ALTER TABLE discovery_searchdocument ADD COLUMN tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, terms)) STORED",
    "CREATE INDEX discovery_searchdocument_tsv_gin ON discovery_searchdocument USING gin (tsv)",
    "DROP INDEX IF EXISTS discovery_searchdocument_terms_gin",
]
POSTGRES_BACKWARD = [
    "CREATE INDEX discovery_searchdocument_terms_gin ON discovery_searchdocument "
    "USING gin (to_tsvector('simple'::regconfig, terms))",
    "ALTER TABLE discovery_searchdocument DROP COLUMN tsv",
]


def _postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("discovery", "0002_rankings_and_picks"),
    ]

    operations = [
        migrations.RunPython(_postgres(POSTGRES_FORWARD), _postgres(POSTGRES_BACKWARD)),
    ]
