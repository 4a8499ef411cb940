"""Progress on a plan's items, and each plan's next due date (for overdue work). Additive.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "progress",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column(
            "plan_id",
            sa.String(36),
            sa.ForeignKey("plans.plan_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("intervention_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reason_code", sa.String(64), nullable=True),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_progress_plan_id", "progress", ["plan_id"])
    with op.batch_alter_table("plans") as plans:
        plans.add_column(sa.Column("next_due", sa.Date(), nullable=True))
        plans.create_index("ix_plans_next_due", ["next_due"])


def downgrade() -> None:
    with op.batch_alter_table("plans") as plans:
        plans.drop_index("ix_plans_next_due")
        plans.drop_column("next_due")
    op.drop_table("progress")
