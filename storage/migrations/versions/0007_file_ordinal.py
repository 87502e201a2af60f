"""a file's ordinal joins its identity: identical pages of one folder are two pages, not one

Revision ID: 0007_file_ordinal
Revises: 0006

Why: originals are keyed by their SHA-256, and a file row was unique by (dossier, role, key), so
a folder holding the same page twice (two copies of one ID card, a page scanned twice on purpose)
kept one row: the dossier lost a page. The object stays stored once; the rows are one per place.
"""

from alembic import op

revision = "0007_file_ordinal"
down_revision = "0006"
branch_labels = None
depends_on = None

# SQLite's unnamed constraint gets a name when the table is rebuilt; PostgreSQL named it itself.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _old_name() -> str:
    return "file_dossier_id_role_object_key_key" if op.get_bind().dialect.name == "postgresql" \
        else "uq_file_dossier_id"


def upgrade() -> None:
    with op.batch_alter_table("file", naming_convention=NAMING) as batch:
        batch.drop_constraint(_old_name(), type_="unique")
        batch.create_unique_constraint("uq_file_place", ["dossier_id", "role", "object_key", "ordinal"])


def downgrade() -> None:
    with op.batch_alter_table("file", naming_convention=NAMING) as batch:
        batch.drop_constraint("uq_file_place", type_="unique")
        batch.create_unique_constraint(_old_name(), ["dossier_id", "role", "object_key"])
