"""Status store: a submission's content hash, so importing the same report twice adds nothing.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submission") as batch:
        batch.add_column(sa.Column("content_sha256", sa.String(64)))
    op.create_index(
        "ux_submission_content",
        "submission",
        ["plan_key", "unit_id", "period", "kind", "content_sha256"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ux_submission_content", table_name="submission")
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("content_sha256")
