"""Events written once by key; "finished" recorded as the pipeline's `finish` step

Revision ID: 0003
Revises: 0002

Why: a step resumed after a crash wrote its events a second time (`rescan_suggested` counted
twice); an event with a key is now written once (a unique index; NULL keys, the plain append-only
events, never collide). And "finished" was read from the event log by one runner and from the
step table by the other: the pipeline now ends with a `finish` step, so the dossiers that already
finished get their `finish` row here, and a re-drop of one of them is not run again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_event_key", ["key"], unique=True)
    op.execute(
        "INSERT INTO step (dossier_id, name, state, attempts, finished_at) "
        "SELECT id, 'finish', 'done', 1, updated_at FROM dossier "
        "WHERE state IN ('digitized', 'needs_review') "
        "AND id NOT IN (SELECT dossier_id FROM step WHERE name = 'finish')")


def downgrade() -> None:
    op.execute("DELETE FROM step WHERE name = 'finish'")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_key")
        batch_op.drop_column("key")
