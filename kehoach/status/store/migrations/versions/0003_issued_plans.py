"""Status store: plans as issued (signer, the plan implemented, the Plan itself).

The issued document is recorded where a plan's number and date already were (plan_issue),
so the roll-up reads one record; existing rows keep their values and get NULLs (a number and
date known without the document). Columns are added in a batch, which SQLite needs and
PostgreSQL runs as plain ALTER TABLE.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan_issue") as batch:
        batch.add_column(sa.Column("hierarchy", sa.String(80)))
        batch.add_column(sa.Column("parent_unit_id", sa.String(64)))
        batch.add_column(sa.Column("implements", sa.String(80)))
        batch.add_column(sa.Column("signer", sa.String(200)))
        batch.add_column(sa.Column("plan_json", sa.Text))
    op.create_index("ix_plan_issue_number", "plan_issue", ["unit_id", "number"])


def downgrade() -> None:
    op.drop_index("ix_plan_issue_number", table_name="plan_issue")
    with op.batch_alter_table("plan_issue") as batch:
        for name in ("plan_json", "signer", "implements", "parent_unit_id", "hierarchy"):
            batch.drop_column(name)
