"""sign_preparation: documents prepared for a signature made on an official's own PC

Revision ID: 0005
Revises: 0004

Why: in browser signing the server prepares each document (interrupted PAdES signing) and waits
for the token on the official's PC to sign its digest. The prepared revision and its signed
attributes must survive between the two requests and bind the signature to one task, one
certificate and one user until an expiry; a row is used once.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_preparation",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("certificate_sha256", sa.String(length=64), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["signing_task.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sign_preparation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_preparation_task_id"), ["task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sign_preparation_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_table("sign_preparation")
