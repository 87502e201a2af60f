"""rate limits in the register: wrong passwords and kiosk look-ups per address

Revision ID: 0010_rate_hit
Revises: 0007_search_scale

Why: the web now runs as several worker processes (`SOHOA_WEB_WORKERS`). Counts kept in one
process's memory would let each process allow its own 30 wrong passwords from an address, or its
own kiosk look-ups a minute; counted in this table, every process answers as one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_rate_hit"
down_revision = "0007_search_scale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_hit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rate_hit_bucket_key_at", "rate_hit", ["bucket", "key", "at"])


def downgrade() -> None:
    op.drop_index("ix_rate_hit_bucket_key_at", table_name="rate_hit")
    op.drop_table("rate_hit")
