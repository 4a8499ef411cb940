"""What the store takes and gives: plain records, no database in sight."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from matcher.model.contract import ItemDecision


@dataclass(frozen=True)
class Asked:
    """Who asked, when, and the Idempotency-Key of the request (with this plan's position in it
    and a hash of what was asked), if it had one."""

    by: str
    at: datetime
    key: str | None = None
    position: int = 0
    request_hash: str = ""


@dataclass(frozen=True)
class Made:
    """A plan just made, to store as a plan's next version."""

    person_id: str
    assessment: dict[str, Any]
    plan: dict[str, Any]
    rules_version: str
    planned_on: date
    cause: str = "issued"  # issued | decision | review
    detail: dict[str, Any] | None = None  # for the audit event
    next_due: date | None = None  # the earliest start of work with no progress yet


@dataclass(frozen=True)
class Version:
    """One stored version of a plan."""

    plan_id: str
    person_id: str
    version: int
    latest_version: int
    created_at: datetime
    created_by: str
    cause: str
    rules_version: str
    planned_on: date
    assessment: dict[str, Any]
    plan: dict[str, Any]


@dataclass(frozen=True)
class Decided:
    """A practitioner's decision on one intervention, recorded with the version it made."""

    intervention_id: str
    decision: str
    reason: str | None
    by: str
    at: datetime
    version: int

    def as_item(self) -> ItemDecision:
        """The decision as a plan's item shows it."""
        return ItemDecision(
            decision=self.decision,  # stored from the same Literal
            reason=self.reason,
            by=self.by,
            at=self.at,
        )


@dataclass(frozen=True)
class Progress:
    """Progress on one intervention of a plan, as the field reported it."""

    intervention_id: str
    status: str
    on: date
    reason: str | None
    reason_code: str | None
    by: str
    at: datetime


@dataclass(frozen=True)
class Event:
    """One outbox event, as the feed gives it."""

    id: int
    event_type: str
    version: int
    occurred_at: datetime
    person_id: str
    detail_path: str | None
    additional: dict[str, Any]


def utc(moment: datetime) -> datetime:
    """SQLite gives back naive times: every stored time is UTC."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def version_of(row: Any, person_id: str, latest: int) -> Version:
    """A version from its row (any object with the version table's columns as attributes)."""
    return Version(
        plan_id=row.plan_id,
        person_id=person_id,
        version=row.version,
        latest_version=latest,
        created_at=utc(row.created_at),
        created_by=row.created_by,
        cause=row.cause,
        rules_version=row.rules_version,
        planned_on=row.planned_on,
        assessment=row.assessment,
        plan=row.plan,
    )
