"""PostgreSQL: the GIN index holds, beside each document's terms, two lexemes naming the run of
ids it falls in ("~s<id / 2048>" and "~b<id / 32768>"), so that "the newest matches" is a
query the index answers alone: `terms & ('~b30' | '~b29')` walks the short posting lists of
the newest runs and skips through the long ones of common terms, instead of reading every
match of a common bigram and then each matching row for its id (see index._newest_matches).
It also holds the first 3 to 6 letters of each word of 3 letters or more (">inte"), so that
a word being typed is one term, not the merged matches of every word it begins. No search
term holds "~" or ">" (see tokens), so neither kind of lexeme can be asked for by a reader."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION discovery_document_tsv(tsv tsvector, id bigint)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT tsv || array_to_tsvector(
    ARRAY['~s' || (id >> 11)::text, '~b' || (id >> 15)::text]
    || ARRAY(SELECT '>' || left(lexeme, n) FROM unnest(tsvector_to_array(tsv)) AS lexeme,
             generate_series(3, least(length(lexeme), 6)) AS n))
$$
"""
# Built beside the old index and swapped in, CONCURRENTLY: a site with many posts keeps
# taking writes while it builds (12.6 minutes at a million posts on the benchmark machine).
POSTGRES_FORWARD = [
    FUNCTION,
    "DROP INDEX CONCURRENTLY IF EXISTS discovery_searchdocument_tsv_gin_new",  # a failed try
    "CREATE INDEX CONCURRENTLY discovery_searchdocument_tsv_gin_new ON discovery_searchdocument "
    "USING gin (discovery_document_tsv(tsv, id))",
    "DROP INDEX CONCURRENTLY IF EXISTS discovery_searchdocument_tsv_gin",
    "ALTER INDEX discovery_searchdocument_tsv_gin_new RENAME TO discovery_searchdocument_tsv_gin",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS discovery_searchdocument_tsv_gin",
    "CREATE INDEX discovery_searchdocument_tsv_gin ON discovery_searchdocument USING gin (tsv)",
    "DROP FUNCTION IF EXISTS discovery_document_tsv(tsvector, bigint)",
]


def _postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("discovery", "0004_blog_search_terms"),
    ]

    operations = [
        migrations.RunPython(_postgres(POSTGRES_FORWARD), _postgres(POSTGRES_BACKWARD)),
    ]
