"""Status store: submissions (provenance), task statuses and plan issues (history).

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("plan_key", sa.String(80), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(8)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("source_name", sa.String(500), nullable=False),
        sa.Column("source_sha256", sa.String(64)),
        sa.Column("entered_by", sa.String(200), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_submission_plan_key", "submission", ["plan_key"])
    op.create_index(
        "ix_submission_plan_period_unit", "submission", ["plan_key", "period", "unit_id"]
    )
    op.create_table(
        "task_status",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submission.id"), nullable=False),
        sa.Column("plan_key", sa.String(80), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("done_on", sa.Date),
        sa.Column("count", sa.Integer),
    )
    op.create_index("ix_task_status_submission_id", "task_status", ["submission_id"])
    op.create_index(
        "ix_task_status_lookup", "task_status", ["plan_key", "period", "unit_id", "task_id", "id"]
    )
    op.create_table(
        "plan_issue",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submission.id"), nullable=False),
        sa.Column("plan_key", sa.String(80), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("number", sa.String(40)),
        sa.Column("issued_on", sa.Date, nullable=False),
    )
    op.create_index("ix_plan_issue_submission_id", "plan_issue", ["submission_id"])
    op.create_index("ix_plan_issue_lookup", "plan_issue", ["plan_key", "unit_id", "id"])


def downgrade() -> None:
    op.drop_table("plan_issue")
    op.drop_table("task_status")
    op.drop_table("submission")
