"""PostgreSQL search: separate folded and exact tsvectors, a GIN index on the folded one

Revision ID: 0002
Revises: 0001

Why: matching happens on the folded words only, so the GIN index needs only them; the exact
words are read just to rank the rows already matched. One small vector per purpose keeps both the
index and the ranking (whose cost grows with the vector's size) lean at millions of pages.
Diacritics are folded in Python (vntext.fold, đ→d included) before the text reaches PostgreSQL,
exactly as for SQLite, so both backends match the same rows; `unaccent` (which also maps đ→d) is
therefore not needed and no superuser-only extension has to be created. SQLite is left as it is.
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS search_index_tsv")
    op.execute("ALTER TABLE search_index DROP COLUMN IF EXISTS tsv")
    op.execute("ALTER TABLE search_index ADD COLUMN folded_tsv tsvector "
               "GENERATED ALWAYS AS (to_tsvector('simple', folded)) STORED")
    op.execute("ALTER TABLE search_index ADD COLUMN exact_tsv tsvector "
               "GENERATED ALWAYS AS (to_tsvector('simple', exact)) STORED")
    op.execute("CREATE INDEX search_index_folded ON search_index USING gin (folded_tsv) "
               "WITH (fastupdate = off)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS search_index_folded")
    op.execute("ALTER TABLE search_index DROP COLUMN exact_tsv")
    op.execute("ALTER TABLE search_index DROP COLUMN folded_tsv")
    op.execute("ALTER TABLE search_index ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
               "setweight(to_tsvector('simple', exact), 'A') || "
               "setweight(to_tsvector('simple', folded), 'B')) STORED")
    op.execute("CREATE INDEX search_index_tsv ON search_index USING gin (tsv)")
