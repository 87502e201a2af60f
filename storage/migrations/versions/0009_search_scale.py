"""PostgreSQL search at a province's scale: the folded words' GIN index also holds the dossier id

Revision ID: 0007_search_scale
Revises: 0006

Why: search ranks only the newest matching pages (storage.search.CANDIDATES) and finds them in
windows of the newest dossiers (`dossier_id > floor`). With the words alone in the GIN index,
PostgreSQL fetches every matching page from the table and only then drops those outside the
window: for a word on one page in sixty, 170,000 pages read at 10M pages to keep 5,000. With the
dossier id in the same GIN index (btree_gin, a contrib extension PostgreSQL trusts, so the
database's owner may create it without a superuser), the window is applied inside the index and
only the window's matches are read. The index answers word-only queries as the old one did, so
it replaces it. SQLite is left as it is (FTS5 walks its doclists newest first by itself).
"""

from alembic import op

revision = "0007_search_scale"
down_revision = "0008_unsure_words"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.execute("CREATE INDEX IF NOT EXISTS search_index_recent ON search_index "
               "USING gin (folded_tsv, dossier_id) WITH (fastupdate = off)")
    op.execute("DROP INDEX IF EXISTS search_index_folded")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX IF NOT EXISTS search_index_folded ON search_index USING gin (folded_tsv) "
               "WITH (fastupdate = off)")
    op.execute("DROP INDEX IF EXISTS search_index_recent")
