"""PostgreSQL: blogs found by their title and description through a GIN index of the same
terms as posts (CJK unigrams and bigrams, words), computed by a SQL function, instead of a
LIKE scan of every blog (15 ms at 10,000 blogs). SQLite keeps a LIKE scan (see
index.matching_blogs)."""

from django.db import migrations

# Mirrors tokens.document_terms: NFKC, lower case, each CJK run (the ranges of tokens._CJK) as
# its characters and bigrams, the rest as words (ASCII punctuation made a separator first, as
# tokens.runs does; PostgreSQL's parser splits the rest). COST tells the planner that calling
# it on every row is dear: the index is to be used.
FUNCTION = r"""
CREATE OR REPLACE FUNCTION discovery_blog_terms(title text, description text)
RETURNS tsvector LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE COST 1000 AS $$
DECLARE
  cjk constant text := '[\u3005\u3006\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+';
  t text := lower(normalize(coalesce(title, '') || ' ' || coalesce(description, ''), NFKC));
  run text;
  grams text[] := '{}';
BEGIN
  FOR run IN SELECT m[1] FROM regexp_matches(t, '(' || cjk || ')', 'g') AS m LOOP
    FOR i IN 1..length(run) LOOP
      grams := grams || substr(run, i, 1);
      IF i < length(run) THEN
        grams := grams || substr(run, i, 2);
      END IF;
    END LOOP;
  END LOOP;
  t := regexp_replace(regexp_replace(t, cjk, ' ', 'g'), '[!-/:-@\[-`{-~]', ' ', 'g');
  RETURN to_tsvector('simple', t) || array_to_tsvector(grams);
END
$$
"""
POSTGRES_FORWARD = [
    FUNCTION,
    "CREATE INDEX discovery_blog_terms_gin ON blogs_blog "
    "USING gin (discovery_blog_terms(title, description))",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS discovery_blog_terms_gin",
    "DROP FUNCTION IF EXISTS discovery_blog_terms(text, text)",
]


def _postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("blogs", "0004_blog_followers_index"),
        ("discovery", "0003_search_tsvector"),
    ]

    operations = [
        migrations.RunPython(_postgres(POSTGRES_FORWARD), _postgres(POSTGRES_BACKWARD)),
    ]
