"""Progress on a plan's items, and each plan's next due date (for overdue work), filled in for
the plans already stored. Additive.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

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
    _backfill_next_due()


def _backfill_next_due() -> None:
    """Plans stored before progress existed: nothing has been recorded on them, so each is due
    from the earliest start of its latest version's work not already under way."""
    bind = op.get_bind()
    plans = sa.table(
        "plans", sa.column("plan_id"), sa.column("latest_version"), sa.column("next_due")
    )
    versions = sa.table(
        "plan_versions", sa.column("plan_id"), sa.column("version"), sa.column("plan", sa.JSON)
    )
    rows = bind.execute(
        sa.select(versions.c.plan_id, versions.c.plan).join(
            plans,
            sa.and_(
                plans.c.plan_id == versions.c.plan_id,
                plans.c.latest_version == versions.c.version,
            ),
        )
    )
    for plan_id, document in rows.all():
        due = _due(document if isinstance(document, dict) else json.loads(document))
        if due is not None:
            bind.execute(plans.update().where(plans.c.plan_id == plan_id).values(next_due=due))


def _due(plan: dict[str, Any]) -> date | None:
    if not plan.get("plan_start"):
        return None
    begin = date.fromisoformat(plan["plan_start"])
    starts = [
        begin + timedelta(weeks=item["start_week"])
        for item in plan.get("items", [])
        if not item.get("status")
    ]
    return min(starts, default=None)


def downgrade() -> None:
    with op.batch_alter_table("plans") as plans:
        plans.drop_index("ix_plans_next_due")
        plans.drop_column("next_due")
    op.drop_table("progress")
