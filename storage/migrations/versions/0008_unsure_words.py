"""pages keep the words OCR was unsure of

Revision ID: 0008_unsure_words
Revises: 0007_file_ordinal

Why: a reviewer checking OCR text against the scan needs to be shown which words to look at; the
page's mean confidence alone says only that somewhere on it something was hard to read.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_unsure_words"
down_revision = "0007_file_ordinal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("page") as batch:
        batch.add_column(sa.Column("unsure_words", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("page") as batch:
        batch.drop_column("unsure_words")
