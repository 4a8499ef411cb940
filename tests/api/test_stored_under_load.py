"""Stored plans under load, through the real server (uvicorn with 2 workers, as `make run`), each
test against a SQLite file and a real PostgreSQL server: many concurrent stores lose nothing and
the event feed skips nothing, concurrent decisions on one plan make consecutive versions, a worker
killed mid-stream leaves no half-written plan, and plans outlive a restart."""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select

from matcher.store.tables import (
    AuditRecord,
    DecisionRecord,
    EventRecord,
    PlanRecord,
    VersionRecord,
)
from tests.api.conftest import TODAY, variant
from tests.api.server import running_server

# read as of the day the plans were made: later, work due by then is overdue and warned of
AS_MADE = {"today": TODAY}

pytestmark = pytest.mark.slow

DECIDED_ON = "2026-11-15"
THREADS = 32
TIMEOUT = 60.0


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of this test alone: a SQLite file, or the session's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/matcher.db"
    from tests.postgres import reset_database

    url: str = request.getfixturevalue("postgres_url")
    reset_database(url)
    return url


@pytest.fixture()
def log(tmp_path: Path) -> Path:
    return tmp_path / "server.log"


def serve(database: str, log: Path) -> Any:
    return running_server(env={"MATCHER_DATABASE_URL": database}, workers=2, log=log)


def client(base: str) -> httpx.Client:
    limits = httpx.Limits(max_connections=THREADS + 8, max_keepalive_connections=THREADS + 8)
    return httpx.Client(base_url=base, timeout=TIMEOUT, limits=limits)


def tail(log: Path, lines: int = 40) -> str:
    text = log.read_text(errors="replace") if log.exists() else "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def concurrently(
    work: Callable[[Any], Any], items: Iterable[Any], threads: int = THREADS
) -> list[Any]:
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(work, items))


def store(api: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    return api.post("/v1/plans", json=body, params={"today": TODAY})


def decide(
    api: httpx.Client, plan_id: str, intervention_id: str, if_match: int | None = None
) -> httpx.Response:
    headers = {"If-Match": f'"{if_match}"'} if if_match is not None else {}
    return api.post(
        f"/v1/plans/{plan_id}/decisions",
        json={"intervention_id": intervention_id, "decision": "accepted"},
        params={"today": DECIDED_ON},
        headers=headers,
    )


def items(plan: dict[str, Any]) -> list[str]:
    return [item["intervention_id"] for item in plan["items"]]


def feed_pages(api: httpx.Client, limit: int) -> list[tuple[int, list[dict[str, Any]]]]:
    """The whole event feed from the start, page by page: (next cursor, events) for each."""
    pages: list[tuple[int, list[dict[str, Any]]]] = []
    cursor = "0"
    while True:
        response = api.get("/v1/events", params={"after": cursor, "limit": limit})
        assert response.status_code == 200, response.text
        page = response.json()
        if not page["events"]:
            assert page["next"] == cursor
            return pages
        pages.append((int(page["next"]), page["events"]))
        cursor = page["next"]


class Tail(threading.Thread):
    """Follows the event feed while others write, as a consumer would, keeping what it read."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base, self.stop = base, threading.Event()
        self.seen: list[dict[str, Any]] = []
        self.cursors: list[int] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        cursor, drained = "0", False
        try:
            with client(self.base) as api:
                while not drained:
                    finishing = self.stop.is_set()  # one more empty page after the writers end
                    page = api.get("/v1/events", params={"after": cursor, "limit": 50}).json()
                    self.seen += page["events"]
                    if page["events"]:
                        self.cursors.append(int(page["next"]))
                    cursor = page["next"]
                    drained = finishing and not page["events"]
                    if not page["events"]:
                        time.sleep(0.02)
        except BaseException as error:  # reported by the test (error), not lost in a thread
            self.error = error


def events_in_database(url: str) -> list[tuple[int, str, dict[str, Any]]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(EventRecord.id, EventRecord.event_type, EventRecord.additional).order_by(
                    EventRecord.id
                )
            ).all()
    finally:
        engine.dispose()
    return [(r.id, r.event_type, r.additional) for r in rows]


def half_written(url: str) -> list[str]:
    """Whatever in the database breaks "every write whole or nothing", in plain words."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            plans = dict(
                connection.execute(select(PlanRecord.plan_id, PlanRecord.latest_version)).all()
            )
            versions = connection.execute(
                select(VersionRecord.plan_id, VersionRecord.version)
            ).all()
            audit = connection.execute(
                select(AuditRecord.plan_id, AuditRecord.kind, AuditRecord.detail)
            ).all()
            decisions = connection.execute(
                select(DecisionRecord.plan_id, DecisionRecord.version)
            ).all()
            events = connection.execute(
                select(EventRecord.event_type, EventRecord.person_id, EventRecord.additional)
            ).all()
            people = set(connection.scalars(select(PlanRecord.person_id)))
    finally:
        engine.dispose()
    made: dict[str, list[int]] = defaultdict(list)
    for plan_id, version in versions:
        made[plan_id].append(version)
    problems = [f"versions of {p} without their plan" for p in made if p not in plans]
    for plan_id, latest in plans.items():
        if sorted(made.get(plan_id, [])) != list(range(1, latest + 1)):
            problems.append(f"{plan_id}: latest {latest}, versions {sorted(made[plan_id])}")
    audited: dict[str, list[int]] = defaultdict(list)
    issued_audit: Counter[str] = Counter()
    for plan_id, kind, detail in audit:
        if plan_id is None:
            continue  # an erasure's tombstone
        if plan_id not in plans:
            problems.append(f"audit event {kind} of {plan_id} without its plan")
            continue
        audited[plan_id].append(detail["version"])
        issued_audit[plan_id] += kind == "issued"
    decided: dict[str, list[int]] = defaultdict(list)
    for plan_id, version in decisions:
        if plan_id not in plans:
            problems.append(f"decision of {plan_id} without its plan")
        decided[plan_id].append(version)
    issued: Counter[str] = Counter()
    changed: dict[str, list[int]] = defaultdict(list)
    for kind, person_id, additional in events:
        plan_id = additional.get("planId")
        if person_id not in people or plan_id not in plans:
            problems.append(f"{kind} event of {person_id}/{plan_id} without its plan")
        elif kind == "plan.issued":
            issued[plan_id] += 1
        elif kind == "plan.changed":
            changed[plan_id].append(additional["version"])
    for plan_id, latest in plans.items():
        later = list(range(2, latest + 1))
        if issued_audit[plan_id] != 1 or sorted(audited[plan_id]) != [1, *later]:
            problems.append(f"{plan_id}: latest {latest}, audited {sorted(audited[plan_id])}")
        if sorted(decided[plan_id]) != later:
            problems.append(f"{plan_id}: latest {latest}, decisions {sorted(decided[plan_id])}")
        if issued[plan_id] != 1 or sorted(changed[plan_id]) != later:
            problems.append(f"{plan_id}: {issued[plan_id]} plan.issued, changed {changed[plan_id]}")
    return problems


def ids_never_committed(url: str) -> int:
    """Audit ids taken by a transaction that was then rolled back: on PostgreSQL a sequence value
    is never given back, so a gap is a write cut off half-way (SQLite gives its ids back)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            ids = list(connection.scalars(select(AuditRecord.id)))
    finally:
        engine.dispose()
    return max(ids, default=0) - len(ids)


def people_with_plans(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return set(connection.scalars(select(PlanRecord.person_id)))
    finally:
        engine.dispose()


def workers(server: subprocess.Popen[bytes]) -> set[int]:
    """The live uvicorn workers: the server's children started by multiprocessing's spawn (not
    its resource tracker; a killed worker not yet reaped has no command line and is left out)."""
    found = set()
    for task in Path(f"/proc/{server.pid}/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for pid in children:
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in command:
                found.add(int(pid))
    return found


def test_300_concurrent_stores_with_2_workers_lose_nothing(
    database: str, log: Path, example: dict[str, Any]
) -> None:
    people = [variant(example, person_id=f"L{i:04d}", age=18 + i % 60) for i in range(300)]
    with serve(database, log) as (base, _), client(base) as api:
        tail_feed = Tail(base)
        tail_feed.start()
        responses = concurrently(lambda person: store(api, person), people)
        tail_feed.stop.set()
        failed = [r for r in responses if r.status_code != 200]
        statuses = Counter(r.status_code for r in failed)
        assert not failed, f"{statuses}: {failed[0].text}\nserver log:\n{tail(log)}"
        made = [r.json() for r in responses]
        assert [p["person_id"] for p in made] == [p["person_id"] for p in people]
        plan_ids = [p["plan_id"] for p in made]
        assert len(set(plan_ids)) == 300 and {p["version"] for p in made} == {1}

        read = concurrently(
            lambda plan_id: api.get(f"/v1/plans/{plan_id}", params=AS_MADE), plan_ids
        )
        assert [r.status_code for r in read] == [200] * 300
        assert [r.json() for r in read] == made

        trails = concurrently(lambda plan_id: api.get(f"/v1/plans/{plan_id}/audit"), plan_ids)
        assert [r.status_code for r in trails] == [200] * 300
        assert [[e["kind"] for e in r.json()["events"]] for r in trails] == [["issued"]] * 300

        pages = feed_pages(api, limit=37)
        tail_feed.join(timeout=30)
    rows = events_in_database(database)
    assert [kind for _, kind, _ in rows] == ["plan.issued"] * 300
    assert sorted(additional["planId"] for _, _, additional in rows) == sorted(plan_ids)
    ids = [event_id for event_id, _, _ in rows]
    assert ids == sorted(set(ids))
    # paged from the start: each page ends at its cursor, the next starts just after it
    expected = [
        (ids[start : start + 37][-1], [a["planId"] for _, _, a in rows[start : start + 37]])
        for start in range(0, 300, 37)
    ]
    assert [
        (cursor, [e["additionalInformation"]["planId"] for e in page]) for cursor, page in pages
    ] == expected
    # followed while the plans were being stored: nothing skipped, nothing twice, in id order
    assert tail_feed.error is None and not tail_feed.is_alive()
    assert [e["additionalInformation"]["planId"] for e in tail_feed.seen] == [
        a["planId"] for _, _, a in rows
    ]
    assert tail_feed.cursors == sorted(set(tail_feed.cursors))


def test_concurrent_decisions_on_one_plan_make_consecutive_versions(
    database: str, log: Path, example: dict[str, Any], record_property: Any
) -> None:
    with serve(database, log) as (base, _), client(base) as api:
        plan = store(api, example).json()
        plan_id, choices = plan["plan_id"], items(plan)[:2]
        start = threading.Barrier(40)

        def accept(i: int) -> httpx.Response:
            start.wait()
            return decide(api, plan_id, choices[i % 2])

        responses = concurrently(accept, range(40), threads=40)
        statuses = Counter(r.status_code for r in responses)
        record_property("unguarded decisions", dict(statuses))
        print(f"40 decisions without If-Match: {dict(statuses)}")
        # without If-Match decisions on one plan queue: every one lands, none is lost
        assert statuses == {200: 40}, f"{statuses}\nserver log:\n{tail(log)}"
        ok = {r.json()["version"]: r.json() for r in responses if r.status_code == 200}
        latest = 1 + statuses[200]
        assert sorted(ok) == list(range(2, latest + 1))
        assert api.get(f"/v1/plans/{plan_id}").json()["version"] == latest
        for number in range(1, latest + 1):
            read = api.get(f"/v1/plans/{plan_id}", params={"version": number, **AS_MADE})
            assert read.status_code == 200 and read.json() == ok.get(number, plan)
        trail = api.get(f"/v1/plans/{plan_id}/audit").json()["events"]
        assert [e["kind"] for e in trail] == ["issued"] + ["decision"] * (latest - 1)
        assert [e["detail"]["version"] for e in trail[1:]] == list(range(2, latest + 1))

        again = threading.Barrier(20)

        def accept_at_latest(i: int) -> httpx.Response:
            again.wait()
            return decide(api, plan_id, choices[i % 2], if_match=latest)

        guarded = concurrently(accept_at_latest, range(20), threads=20)
        assert sorted(r.status_code for r in guarded) == [200] + [409] * 19
        assert all(r.json()["code"] == "version_conflict" for r in guarded if r.status_code == 409)
        assert [r.json()["version"] for r in guarded if r.status_code == 200] == [latest + 1]
        assert api.get(f"/v1/plans/{plan_id}").json()["version"] == latest + 1
        trail = api.get(f"/v1/plans/{plan_id}/audit").json()["events"]
        assert [e["detail"]["version"] for e in trail] == list(range(1, latest + 2))
    assert half_written(database) == []


def test_a_killed_worker_leaves_no_half_written_plan(
    database: str, log: Path, example: dict[str, Any], record_property: Any
) -> None:
    numbers = itertools.count()
    stored: list[dict[str, Any]] = []  # every plan or version answered with 200
    unanswered: list[str] = []  # people whose plan was asked for and never answered
    outcomes: Counter[str] = Counter()
    with serve(database, log) as (base, server), client(base) as api:
        stop = threading.Event()

        def send() -> None:
            mine: list[dict[str, Any]] = []
            while not stop.is_set():
                i = next(numbers)
                kind, person_id = ("decision" if i % 3 == 2 and mine else "plan"), f"K{i:05d}"
                try:
                    if kind == "decision":
                        plan = random.choice(mine)
                        response = decide(api, plan["plan_id"], items(plan)[0])
                    else:
                        response = store(api, variant(example, person_id=person_id))
                except httpx.TransportError as error:
                    outcomes[f"{kind} {type(error).__name__}"] += 1
                    if kind == "plan":
                        unanswered.append(person_id)
                    continue
                outcomes[f"{kind} {response.status_code}"] += 1
                if response.status_code == 200:
                    stored.append(response.json())
                    if kind == "plan":
                        mine.append(response.json())
                elif kind == "plan":
                    unanswered.append(person_id)

        killed, replaced = [], 0
        with ThreadPoolExecutor(max_workers=16) as pool:
            sending = [pool.submit(send) for _ in range(16)]
            time.sleep(1.5)
            for _ in range(3):
                alive = workers(server)
                if len(alive) < 2:
                    break
                victim = random.choice(sorted(alive))
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    now = workers(server)
                    if len(now) == 2 and victim not in now:
                        replaced += 1
                        break
                    time.sleep(0.1)
                time.sleep(random.uniform(0.5, 1.5))
            stop.set()
            for future in sending:
                future.result()
        summary = {"killed": len(killed), "replaced": replaced, **outcomes}
        record_property("killed workers", summary)
        print(f"killed worker: {summary}")

        assert killed, "no worker was found to kill"
        answered = sum(n for key, n in outcomes.items() if key.endswith(" 200"))
        assert answered > 50, f"{outcomes}\nserver log:\n{tail(log)}"
        # a request either fails on the way (the worker died) or succeeds: no error status
        statuses = {key.split()[-1] for key in outcomes}
        assert not statuses & {"409", "422", "500", "503"}, f"{outcomes}\n{tail(log)}"
        assert all(s == "200" or s.endswith("Error") for s in statuses), outcomes

        def read(made: dict[str, Any]) -> tuple[int, Any]:
            path = f"/v1/plans/{made['plan_id']}"
            response = api.get(path, params={"version": made["version"], **AS_MADE})
            return response.status_code, response.json()

        assert concurrently(read, stored) == [(200, made) for made in stored]
    assert half_written(database) == []
    # how close the kills came to a write: stored then cut off, or cut off while writing
    committed = people_with_plans(database) & set(unanswered)
    cut = ids_never_committed(database)
    record_property("stored but unanswered", len(committed))
    record_property("writes rolled back", cut)
    print(f"stored but never answered: {len(committed)} of {len(unanswered)} unanswered")
    print(f"audit ids rolled back (PostgreSQL only): {cut}")


def test_plans_survive_a_restart(database: str, log: Path, example: dict[str, Any]) -> None:
    people = [variant(example, person_id=f"R{i}") for i in range(4)]

    def everything(api: httpx.Client, plan_ids: list[str]) -> dict[str, Any]:
        return {
            "plans": [api.get(f"/v1/plans/{p}", params=AS_MADE).json() for p in plan_ids],
            "first": [
                api.get(f"/v1/plans/{p}", params={"version": 1, **AS_MADE}).json() for p in plan_ids
            ],
            "audit": [api.get(f"/v1/plans/{p}/audit").json() for p in plan_ids],
            "people": [
                api.get(f"/v1/people/{p['person_id']}/plans", params=AS_MADE).json() for p in people
            ],
            "events": api.get("/v1/events", params={"limit": 1000}).json(),
        }

    with serve(database, log) as (base, _), client(base) as api:
        made = [store(api, person).json() for person in people]
        plan_ids = [p["plan_id"] for p in made]
        decided = decide(api, plan_ids[0], items(made[0])[0], if_match=1)
        assert decided.status_code == 200, decided.text
        before = everything(api, plan_ids)
    assert before["plans"][0] == decided.json() and before["first"] == made
    assert len(before["events"]["events"]) == 5
    with serve(database, log) as (base, _), client(base) as api:
        assert everything(api, plan_ids) == before
        later = store(api, variant(example, person_id="R9")).json()
        after = api.get("/v1/events", params={"after": before["events"]["next"]}).json()
        assert [e["additionalInformation"]["planId"] for e in after["events"]] == [later["plan_id"]]
        assert int(after["next"]) > int(before["events"]["next"])
