"""The repository of stored plans: every write one transaction (the plan, its audit event and its
outbox event together, or nothing), reads that never see half a write."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, exc, insert, select, text, update

from matcher.model.errors import (
    NotFoundError,
    VersionConflictError,
)
from matcher.store.database import reachable
from matcher.store.reading import Reads
from matcher.store.records import Asked, Decided, Made, Progress, Version, utc
from matcher.store.tables import (
    AuditRecord,
    DecisionRecord,
    EventRecord,
    IdempotencyRecord,
    PlanRecord,
    ProgressRecord,
    VersionRecord,
)

EVENT_SHAPE = 1  # the version of the events' shape
OUTBOX_LOCK = 0x6F757462  # "outb": events are written one transaction at a time (PostgreSQL)
# makes a plan's next version from its latest version, the decisions and the progress so far
# (read on the locked transaction's own connection: a second one could wait on a full pool)
Maker = Callable[[Version, list[Decided], list[Progress]], tuple[Made, Decided | None]]
# makes a piece of progress, and the plan's next due date, from the latest version and progress
Reporter = Callable[[Version, list[Progress]], tuple[Progress, date | None]]
PERSON_LOCKS = 0x70657273  # "pers": the key space of per-person locks (two-key advisory locks)


class Store(Reads):
    """Stored plans in one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(write=True)
        self._outbox_lock = engine.url.get_backend_name() == "postgresql"
        # SQLite has one writer: threads of one process queue here rather than in SQLite's busy
        # handler, which sleeps in steps of up to 100 ms (the tail latency of every write)
        self._one_writer = threading.Lock() if not self._outbox_lock else contextlib.nullcontext()

    def _person(self, connection: Connection, person_id: str) -> None:
        """One writer per person at a time on PostgreSQL (SQLite has one writer anyway), so an
        erasure and a plan being stored for the same person never interleave."""
        if self._outbox_lock:
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:space, hashtext(:person))"),
                {"space": PERSON_LOCKS, "person": person_id},
            )

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._one_writer, reachable(), self._writer.begin() as connection:
            yield connection

    # -- writing ------------------------------------------------------------------------------

    def issue(self, plan_id: str, made: Made, asked: Asked) -> Version:
        """Store a new plan as version 1, its audit event and ``plan.issued``; with a key already
        used by this caller for the same request, the plan that request made instead."""
        if asked.key is not None:
            found = self.replayed(asked)
            if found is not None:
                return found
        try:
            with self._write() as connection:
                self._person(connection, made.person_id)
                connection.execute(
                    *_row(
                        PlanRecord,
                        plan_id=plan_id,
                        person_id=made.person_id,
                        created_at=asked.at,
                        created_by=asked.by,
                        latest_version=1,
                        updated_at=asked.at,
                        next_due=made.next_due,
                    )
                )
                if asked.key is not None:
                    connection.execute(
                        *_row(
                            IdempotencyRecord,
                            requested_by=asked.by,
                            key=asked.key,
                            position=asked.position,
                            request_hash=asked.request_hash,
                            plan_id=plan_id,
                            created_at=asked.at,
                        )
                    )
                self._version(connection, plan_id, 1, made, asked)
        except exc.IntegrityError:
            found = self.replayed(asked) if asked.key is not None else None
            if found is None:
                raise
            return found  # the same key, sent twice at once: the first one's plan
        at, by = utc(asked.at), asked.by  # as written: no need to read it back
        fields = (made.cause, made.rules_version, made.planned_on, made.assessment, made.plan)
        return Version(plan_id, made.person_id, 1, 1, at, by, *fields)

    def next_version(self, plan_id: str, seen: int | None, make: Maker, asked: Asked) -> Version:
        """Store the plan's next version, made by ``make`` from the latest version and its
        decisions while the plan is locked (writers on one plan queue; nothing is lost). With
        ``seen`` (If-Match), a plan at another version is refused (``VersionConflictError``);
        whatever ``make`` raises writes nothing."""
        person_id = self.version(plan_id).person_id  # never changes: lock the person first
        with self._write() as connection:
            latest = self._lock(connection, plan_id, person_id)
            if seen is not None and seen != latest:
                raise VersionConflictError(plan_id, seen, latest)
            current = self._read_version(connection, plan_id, latest)
            so_far = self._decisions(connection, plan_id, latest)
            made, decision = make(current, so_far, self._progress(connection, plan_id))
            new = latest + 1
            connection.execute(
                update(PlanRecord)
                .where(PlanRecord.plan_id == plan_id)
                .values(latest_version=new, updated_at=asked.at, next_due=made.next_due)
            )
            if decision is not None:
                connection.execute(
                    *_row(
                        DecisionRecord,
                        plan_id=plan_id,
                        version=new,
                        intervention_id=decision.intervention_id,
                        decision=decision.decision,
                        reason=decision.reason,
                        by=decision.by,
                        at=decision.at,
                    )
                )
            self._version(connection, plan_id, new, made, asked)
        return self.version(plan_id, new)

    def add_progress(self, plan_id: str, make: Reporter, asked: Asked) -> list[Progress]:
        """Record progress on an item, made by ``make`` from the latest version and the progress
        so far while the plan is locked, with its audit event and the plan's new due date. No
        new version. Returns the item's progress, oldest first."""
        person_id = self.version(plan_id).person_id
        with self._write() as connection:
            latest = self._lock(connection, plan_id, person_id)
            current = self._read_version(connection, plan_id, latest)
            done, next_due = make(current, self._progress(connection, plan_id))
            connection.execute(
                *_row(
                    ProgressRecord,
                    plan_id=plan_id,
                    intervention_id=done.intervention_id,
                    status=done.status,
                    on=done.on,
                    reason=done.reason,
                    reason_code=done.reason_code,
                    by=done.by,
                    at=done.at,
                )
            )
            connection.execute(
                update(PlanRecord)
                .where(PlanRecord.plan_id == plan_id)
                .values(updated_at=asked.at, next_due=next_due)
            )
            detail = {
                "version": latest,
                "intervention_id": done.intervention_id,
                "status": done.status,
                "date": done.on.isoformat(),
                "reason": done.reason,
                "reason_code": done.reason_code,
            }
            self._audit(connection, plan_id, "progress", asked, current.rules_version, detail)
            found = self._progress(connection, plan_id)
        return [p for p in found if p.intervention_id == done.intervention_id]

    def _lock(self, connection: Connection, plan_id: str, person_id: str) -> int:
        """Hold the person, then the plan, for the rest of the transaction; its latest version."""
        self._person(connection, person_id)
        latest = connection.scalar(
            select(PlanRecord.latest_version).where(PlanRecord.plan_id == plan_id).with_for_update()
        )
        if latest is None:
            raise NotFoundError(f"no stored plan {plan_id!r}")
        return int(latest)

    def _version(
        self, connection: Connection, plan_id: str, number: int, made: Made, asked: Asked
    ) -> None:
        """The version row, its audit event, then its outbox event (last: see ``_event``)."""
        connection.execute(
            *_row(
                VersionRecord,
                plan_id=plan_id,
                version=number,
                created_at=asked.at,
                created_by=asked.by,
                cause=made.cause,
                rules_version=made.rules_version,
                planned_on=made.planned_on,
                assessment=made.assessment,
                plan=made.plan,
            )
        )
        detail = {"version": number, **(made.detail or {})}
        self._audit(connection, plan_id, made.cause, asked, made.rules_version, detail)
        kind = "plan.issued" if number == 1 else "plan.changed"
        additional = {"planId": plan_id, "version": number, "rulesVersion": made.rules_version}
        if number > 1:
            additional["reason"] = made.cause
        path = f"/v1/plans/{plan_id}?version={number}"
        self._event(connection, kind, made.person_id, asked.at, path, additional)

    def _audit(
        self,
        connection: Connection,
        plan_id: str | None,
        kind: str,
        asked: Asked,
        rules_version: str | None,
        detail: dict[str, Any],
    ) -> None:
        connection.execute(
            *_row(
                AuditRecord,
                plan_id=plan_id,
                kind=kind,
                at=asked.at,
                by=asked.by,
                rules_version=rules_version,
                detail=detail,
            )
        )

    def _event(
        self,
        connection: Connection,
        kind: str,
        person_id: str,
        at: datetime,
        path: str | None,
        additional: dict[str, Any],
    ) -> None:
        """The outbox row, written last in its transaction. On PostgreSQL a transaction-long lock
        makes ids commit in order, so a reader's cursor never passes an id still to commit."""
        if self._outbox_lock:
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": OUTBOX_LOCK})
        connection.execute(
            *_row(
                EventRecord,
                event_type=kind,
                version=EVENT_SHAPE,
                occurred_at=at,
                person_id=person_id,
                detail_path=path,
                additional=additional,
            )
        )

    def erase(self, person_id: str, asked: Asked) -> int:
        """Remove everything stored about a person; the audit keeps a tombstone without personal
        data and the feed says ``person.erased``. Returns the number of plans removed."""
        with self._write() as connection:
            self._person(connection, person_id)
            plans = select(PlanRecord.plan_id).where(PlanRecord.person_id == person_id)
            ids = list(connection.scalars(plans))
            self._remove(connection, ids)
            connection.execute(delete(EventRecord).where(EventRecord.person_id == person_id))
            self._audit(connection, None, "erased", asked, None, {"plans": len(ids)})
            if ids:  # nothing stored, nothing for other systems to erase: the id stays unsaid
                additional = {"plans": len(ids)}
                self._event(connection, "person.erased", person_id, asked.at, None, additional)
        return len(ids)

    def purge(self, before: datetime, chunk: int = 200) -> tuple[int, int]:
        """Remove plans untouched since ``before`` (with everything about them) and older events
        and tombstones: retention. A chunk at a time, each its own short transaction; a plan
        changed meanwhile is kept. Returns (plans, events) removed."""
        removed = 0
        while True:
            with self._write() as connection:
                old = (
                    select(PlanRecord.plan_id)
                    .where(PlanRecord.updated_at < before)
                    .limit(chunk)
                    .with_for_update(skip_locked=True)
                )
                ids = list(connection.scalars(old))
                self._remove(connection, ids)
            removed += len(ids)
            if len(ids) < chunk:
                break
        with self._write() as connection:
            connection.execute(
                delete(AuditRecord).where(AuditRecord.plan_id.is_(None), AuditRecord.at < before)
            )
            events = connection.execute(delete(EventRecord).where(EventRecord.occurred_at < before))
        return removed, events.rowcount

    @staticmethod
    def _remove(connection: Connection, plan_ids: list[str]) -> None:
        """Every row of these plans (children first, so no foreign key setting is relied on)."""
        for start in range(0, len(plan_ids), 500):
            chunk = plan_ids[start : start + 500]
            tables = (IdempotencyRecord, AuditRecord, DecisionRecord, ProgressRecord, VersionRecord)
            for table in tables:
                connection.execute(delete(table).where(table.plan_id.in_(chunk)))
            connection.execute(delete(PlanRecord).where(PlanRecord.plan_id.in_(chunk)))


def _row(model: Any, **values: Any) -> tuple[Any, dict[str, Any]]:
    """An insert of one row, its values as parameters: one compiled statement per table, reused
    (``insert(...).values(...)`` would build and check a new statement every time)."""
    return insert(model.__table__), values
