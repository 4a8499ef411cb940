"""The stored records, as SQLAlchemy 2 models: plans and their versions, decisions, the audit
trail, the outbox of events, and idempotency keys. Migrations (``migrations/``) create them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Document = JSON().with_variant(JSONB(), "postgresql")
# SQLite makes only INTEGER PRIMARY KEY columns count up by themselves
Serial = BigInteger().with_variant(Integer(), "sqlite")
Moment = DateTime(timezone=True)

ID, PERSON, WHO, VERSION_ID, KIND = 36, 64, 200, 80, 32


class Base(DeclarativeBase):
    """Every table. Tables with a counted id set ``sqlite_autoincrement``: SQLite otherwise reuses
    the largest id once its row is deleted, and the feed's cursor and the audit's order rely on
    ids that only grow."""


class PlanRecord(Base):
    """One stored plan: whose it is, who first asked for it, and its latest version."""

    __tablename__ = "plans"

    plan_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(PERSON), index=True)
    created_at: Mapped[datetime] = mapped_column(Moment)
    created_by: Mapped[str] = mapped_column(String(WHO))
    latest_version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(Moment, index=True)  # for retention
    # the earliest planned start of latest-version work with no progress yet: overdue after it
    next_due: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)


class VersionRecord(Base):
    """One version of a plan: the assessment as received, the plan made from it, by which rules,
    on which date, at whose request, and why it was made (issued, decision, review)."""

    __tablename__ = "plan_versions"

    plan_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("plans.plan_id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(Moment)
    created_by: Mapped[str] = mapped_column(String(WHO))
    cause: Mapped[str] = mapped_column(String(KIND))
    rules_version: Mapped[str] = mapped_column(String(VERSION_ID))
    planned_on: Mapped[date] = mapped_column(Date)  # the date the plan was made "as of"
    assessment: Mapped[dict[str, Any]] = mapped_column(Document)
    plan: Mapped[dict[str, Any]] = mapped_column(Document)


class DecisionRecord(Base):
    """A practitioner's decision on one intervention of a plan; the latest one for an
    intervention stands."""

    __tablename__ = "decisions"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - read once by SQLAlchemy

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("plans.plan_id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)  # the version the decision made
    intervention_id: Mapped[str] = mapped_column(String(PERSON))
    decision: Mapped[str] = mapped_column(String(KIND))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    by: Mapped[str] = mapped_column(String(WHO))
    at: Mapped[datetime] = mapped_column(Moment)


class ProgressRecord(Base):
    """Progress on one intervention of a plan, from the field: it makes no new version."""

    __tablename__ = "progress"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - read once by SQLAlchemy

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("plans.plan_id", ondelete="CASCADE"), index=True
    )
    intervention_id: Mapped[str] = mapped_column(String(PERSON))
    status: Mapped[str] = mapped_column(String(KIND))
    on: Mapped[date] = mapped_column(Date)  # the day it happened
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason_code: Mapped[str | None] = mapped_column(String(PERSON), nullable=True)
    by: Mapped[str] = mapped_column(String(WHO))
    at: Mapped[datetime] = mapped_column(Moment)  # when it was recorded


class AuditRecord(Base):
    """Append-only: what happened to a plan, when, by whom, under which rules. Rows are never
    updated; they go only with their person (erasure, leaving a tombstone) or by retention."""

    __tablename__ = "audit_events"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - read once by SQLAlchemy

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    plan_id: Mapped[str | None] = mapped_column(
        String(ID), ForeignKey("plans.plan_id", ondelete="CASCADE"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(KIND))
    at: Mapped[datetime] = mapped_column(Moment, index=True)
    by: Mapped[str] = mapped_column(String(WHO))
    rules_version: Mapped[str | None] = mapped_column(String(VERSION_ID), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(Document)


class EventRecord(Base):
    """The outbox: events for other systems, written in the same transaction as the change.
    ``id`` is the feed's cursor; rows are written one transaction at a time (see ``Store``)."""

    __tablename__ = "events"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - ids never reused: the cursor

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    event_type: Mapped[str] = mapped_column(String(KIND))
    version: Mapped[int] = mapped_column(Integer)  # of the event's shape
    occurred_at: Mapped[datetime] = mapped_column(Moment, index=True)
    person_id: Mapped[str] = mapped_column(String(PERSON), index=True)
    detail_path: Mapped[str | None] = mapped_column(String(200), nullable=True)
    additional: Mapped[dict[str, Any]] = mapped_column(Document)


class IdempotencyRecord(Base):
    """A request's Idempotency-Key, per caller: the plan it made at each position (0 for a single
    plan, the index in a batch), and a hash of what was asked, so a reused key is caught."""

    __tablename__ = "idempotency_keys"

    requested_by: Mapped[str] = mapped_column(String(WHO), primary_key=True)
    key: Mapped[str] = mapped_column(String(WHO), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    plan_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("plans.plan_id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(Moment)


Index("ix_plan_versions_created_at", VersionRecord.created_at)
