"""Reading stored plans: never half a write (each read is one statement or one transaction)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from matcher.model.errors import IdempotencyKeyReusedError, NotFoundError
from matcher.store.database import reachable
from matcher.store.records import Asked, Decided, Event, Progress, Version, utc, version_of
from matcher.store.tables import (
    AuditRecord,
    DecisionRecord,
    EventRecord,
    IdempotencyRecord,
    PlanRecord,
    ProgressRecord,
    VersionRecord,
)


class Reads:
    """The reading half of the store."""

    engine: Engine

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        with reachable(), self.engine.connect() as connection:
            yield connection

    def replayed(self, asked: Asked) -> Version | None:
        """The plan an earlier request with this caller's key made at this position, if any."""
        with self._read() as connection:
            row = connection.execute(
                select(IdempotencyRecord.request_hash, IdempotencyRecord.plan_id).where(
                    IdempotencyRecord.requested_by == asked.by,
                    IdempotencyRecord.key == asked.key,
                    IdempotencyRecord.position == asked.position,
                )
            ).first()
        if row is None:
            return None
        if row.request_hash != asked.request_hash:
            raise IdempotencyKeyReusedError(
                f"the Idempotency-Key {asked.key!r} was used for a different request"
            )
        return self.version(row.plan_id, 1)

    def version(self, plan_id: str, number: int | None = None) -> Version:
        """A version of a plan (the latest if ``number`` is None)."""
        with self._read() as connection:
            return self._read_version(connection, plan_id, number)

    @staticmethod
    def _read_version(connection: Connection, plan_id: str, number: int | None) -> Version:
        plan = connection.execute(select(PlanRecord).where(PlanRecord.plan_id == plan_id)).first()
        if plan is None:
            raise NotFoundError(f"no stored plan {plan_id!r}")
        wanted = plan.latest_version if number is None else number
        row = connection.execute(
            select(VersionRecord).where(
                VersionRecord.plan_id == plan_id, VersionRecord.version == wanted
            )
        ).first()
        if row is None:
            raise NotFoundError(
                f"plan {plan_id!r} has no version {wanted}; its latest is {plan.latest_version}"
            )
        return version_of(row, plan.person_id, plan.latest_version)

    def decisions(self, plan_id: str, up_to: int) -> list[Decided]:
        """The decisions on a plan up to a version, oldest first."""
        with self._read() as connection:
            return self._decisions(connection, plan_id, up_to)

    @staticmethod
    def _decisions(connection: Connection, plan_id: str, up_to: int) -> list[Decided]:
        rows = connection.execute(
            select(DecisionRecord)
            .where(DecisionRecord.plan_id == plan_id, DecisionRecord.version <= up_to)
            .order_by(DecisionRecord.id)
        ).all()
        return [
            Decided(r.intervention_id, r.decision, r.reason, r.by, utc(r.at), r.version)
            for r in rows
        ]

    def person_plans(self, person_id: str) -> list[Version]:
        """The latest version of each of a person's plans, newest plan first."""
        with self._read() as connection:
            rows = connection.execute(
                select(VersionRecord, PlanRecord.person_id, PlanRecord.latest_version)
                .join(PlanRecord, PlanRecord.plan_id == VersionRecord.plan_id)
                .where(
                    PlanRecord.person_id == person_id,
                    VersionRecord.version == PlanRecord.latest_version,
                )
                .order_by(PlanRecord.created_at.desc(), PlanRecord.plan_id)
            ).all()
        return [version_of(r, r.person_id, r.latest_version) for r in rows]

    def audit(self, plan_id: str) -> list[dict[str, Any]]:
        """A plan's audit events, oldest first."""
        with self._read() as connection:
            if connection.scalar(select(func.count()).where(PlanRecord.plan_id == plan_id)) == 0:
                raise NotFoundError(f"no stored plan {plan_id!r}")
            rows = connection.execute(
                select(AuditRecord).where(AuditRecord.plan_id == plan_id).order_by(AuditRecord.id)
            ).all()
        return [
            {
                "kind": r.kind,
                "at": utc(r.at),
                "by": r.by,
                "rules_version": r.rules_version,
                "detail": r.detail,
            }
            for r in rows
        ]

    def events(self, after: int, limit: int) -> list[Event]:
        """Outbox events after the cursor, oldest first."""
        with self._read() as connection:
            rows = connection.execute(
                select(EventRecord)
                .where(EventRecord.id > after)
                .order_by(EventRecord.id)
                .limit(limit)
            ).all()
        return [
            Event(
                r.id,
                r.event_type,
                r.version,
                utc(r.occurred_at),
                r.person_id,
                r.detail_path,
                r.additional,
            )
            for r in rows
        ]

    def progress(self, plan_id: str) -> list[Progress]:
        """Progress on a plan's items, in the order it was recorded."""
        with self._read() as connection:
            return self._progress(connection, plan_id)

    @staticmethod
    def _progress(connection: Connection, plan_id: str) -> list[Progress]:
        rows = connection.execute(
            select(ProgressRecord)
            .where(ProgressRecord.plan_id == plan_id)
            .order_by(ProgressRecord.id)
        ).all()
        return [
            Progress(r.intervention_id, r.status, r.on, r.reason, r.reason_code, r.by, utc(r.at))
            for r in rows
        ]

    def overdue(self, today: date, limit: int) -> list[Version]:
        """The latest versions of plans with work due to start before ``today`` and no progress
        on it, the longest overdue first."""
        with self._read() as connection:
            rows = connection.execute(
                select(VersionRecord, PlanRecord.person_id, PlanRecord.latest_version)
                .join(PlanRecord, PlanRecord.plan_id == VersionRecord.plan_id)
                .where(
                    PlanRecord.next_due < today,
                    VersionRecord.version == PlanRecord.latest_version,
                )
                .order_by(PlanRecord.next_due, PlanRecord.plan_id)
                .limit(limit)
            ).all()
        return [version_of(r, r.person_id, r.latest_version) for r in rows]

    def latest_plans(
        self, since: datetime, until: datetime, page: int = 500
    ) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """(assessment, plan) of the latest version of each person's newest plan created in
        [``since``, ``until``), read a page at a time (for the commissioning report)."""
        after = ""
        while True:
            with self._read() as connection:
                rows = connection.execute(
                    select(
                        PlanRecord.person_id,
                        VersionRecord.assessment,
                        VersionRecord.plan,
                        PlanRecord.created_at,
                    )
                    .join(PlanRecord, PlanRecord.plan_id == VersionRecord.plan_id)
                    .where(
                        PlanRecord.created_at >= since,
                        PlanRecord.created_at < until,
                        PlanRecord.person_id > after,
                        VersionRecord.version == PlanRecord.latest_version,
                    )
                    .order_by(PlanRecord.person_id, PlanRecord.created_at.desc())
                    .limit(page)
                ).all()
            if not rows:
                return
            last = rows[-1].person_id
            if len(rows) == page:  # the last person's plans may go on in the next page
                rows = [r for r in rows if r.person_id != last] or rows
                last = rows[-1].person_id
            seen: set[str] = set()
            for row in rows:
                if row.person_id not in seen:
                    seen.add(row.person_id)
                    yield row.assessment, row.plan
            after = last
