"""Stored plans: plans, versions, decisions, the audit trail, the outbox of events, idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DOCUMENT = sa.JSON().with_variant(JSONB(), "postgresql")
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MOMENT = sa.DateTime(timezone=True)


def _plan_id(primary_key: bool = False, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "plan_id",
        sa.String(36),
        sa.ForeignKey("plans.plan_id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=nullable,
    )


def upgrade() -> None:
    _plans()
    _plan_versions()
    _decisions()
    _audit_events()
    _events()
    _idempotency_keys()


def _plans() -> None:
    op.create_table(
        "plans",
        sa.Column("plan_id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
    )
    op.create_index("ix_plans_person_id", "plans", ["person_id"])
    op.create_index("ix_plans_updated_at", "plans", ["updated_at"])


def _plan_versions() -> None:
    op.create_table(
        "plan_versions",
        _plan_id(primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("cause", sa.String(32), nullable=False),
        sa.Column("rules_version", sa.String(80), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("assessment", DOCUMENT, nullable=False),
        sa.Column("plan", DOCUMENT, nullable=False),
    )
    op.create_index("ix_plan_versions_created_at", "plan_versions", ["created_at"])


def _decisions() -> None:
    op.create_table(
        "decisions",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        _plan_id(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("intervention_id", sa.String(64), nullable=False),
        sa.Column("decision", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("at", MOMENT, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_decisions_plan_id", "decisions", ["plan_id"])


def _audit_events() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        _plan_id(nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", MOMENT, nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("rules_version", sa.String(80), nullable=True),
        sa.Column("detail", DOCUMENT, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_events_plan_id", "audit_events", ["plan_id"])
    op.create_index("ix_audit_events_at", "audit_events", ["at"])


def _events() -> None:
    op.create_table(
        "events",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("occurred_at", MOMENT, nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("detail_path", sa.String(200), nullable=True),
        sa.Column("additional", DOCUMENT, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_events_occurred_at", "events", ["occurred_at"])
    op.create_index("ix_events_person_id", "events", ["person_id"])


def _idempotency_keys() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("requested_by", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        _plan_id(),
        sa.Column("created_at", MOMENT, nullable=False),
    )
    op.create_index("ix_idempotency_keys_plan_id", "idempotency_keys", ["plan_id"])


def downgrade() -> None:
    for table in ("idempotency_keys", "events", "audit_events", "decisions", "plan_versions"):
        op.drop_table(table)
    op.drop_table("plans")
