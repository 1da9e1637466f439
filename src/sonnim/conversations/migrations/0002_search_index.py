"""The full-text index over SearchEntry.tokens, per database vendor (see conversations/search.py)."""

from django.db import migrations

SQLITE_UP = [
    # tokenchars: none needed; tokens are [0-9a-z가-힣]+ joined by spaces. Kept separate from the entry
    # table (contentless would forbid deletes on older SQLite); rowid = SearchEntry.id.
    "CREATE VIRTUAL TABLE conversations_search_fts USING fts5(tokens, tokenize='unicode61 remove_diacritics 0', detail='none')",
]
SQLITE_DOWN = ["DROP TABLE IF EXISTS conversations_search_fts"]
POSTGRES_UP = [
    "ALTER TABLE conversations_searchentry ADD COLUMN tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', tokens)) STORED",
    "CREATE INDEX conversations_search_tsv_idx ON conversations_searchentry USING GIN (tsv)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS conversations_search_tsv_idx",
    "ALTER TABLE conversations_searchentry DROP COLUMN IF EXISTS tsv",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("conversations", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
