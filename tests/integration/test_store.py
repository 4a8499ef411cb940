"""The store against SQLite and a real PostgreSQL server: the migrations make exactly the models'
schema, several processes may migrate at once, erasure leaves no personal data but the feed's
``person.erased``, retention removes only what is old, and the commands do the same."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from matcher.cli.main import main
from matcher.store.database import current, engine_for, head, migrate
from matcher.store.plans import Store
from matcher.store.records import Asked, Decided, Made
from matcher.store.tables import Base

WHEN = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/store.db"
    else:
        from tests.postgres import reset_database

        url = request.getfixturevalue("postgres_url")
        reset_database(url)
    made = engine_for(url)
    migrate(made)
    yield made
    made.dispose()


def made_for(person_id: str) -> Made:
    return Made(person_id, {"person_id": person_id}, {"items": []}, "sha256:x", date(2026, 11, 1))


def test_the_migrations_make_exactly_the_schema_the_models_describe(engine: Engine) -> None:
    assert current(engine) == head()
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_migrating_again_changes_nothing(engine: Engine) -> None:
    before = sorted(inspect(engine).get_table_names())
    migrate(engine)
    assert sorted(inspect(engine).get_table_names()) == before
    assert {"plans", "plan_versions", "decisions", "audit_events", "events"} <= set(before)


def _migrate(url: str) -> str | None:
    engine = engine_for(url)
    migrate(engine)
    return current(engine)


def test_several_processes_may_create_the_database_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/fresh.db"
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        assert pool.map(_migrate, [url] * 4) == [head()] * 4


def rows_mentioning(engine: Engine, needle: str) -> dict[str, int]:
    """How many rows of each table hold ``needle`` anywhere (any column, JSON included)."""
    found = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = connection.execute(table.select()).all()
            count = sum(1 for row in rows if needle in repr(tuple(row)))
            if count:
                found[table.name] = count
    return found


def test_erasure_leaves_nothing_of_the_person_but_the_feeds_notice(engine: Engine) -> None:
    store = Store(engine)
    person = "ERASE0001"
    store.issue("11111111-1111-4111-8111-111111111111", made_for(person), Asked("pat", WHEN, "k"))
    decided = Decided("x", "rejected", f"{person} asked not to", "pat", WHEN, 2)
    store.next_version(
        "11111111-1111-4111-8111-111111111111",
        1,
        lambda current, so_far, progress: (made_for(person), decided),
        Asked("pat", WHEN),
    )
    store.issue("22222222-2222-4222-8222-222222222222", made_for("KEEP0001"), Asked("pat", WHEN))
    assert set(rows_mentioning(engine, person)) >= {"plans", "plan_versions", "decisions"}
    assert store.erase(person, Asked("dpo", WHEN)) == 1
    assert rows_mentioning(engine, person) == {"events": 1}  # person.erased, for other systems
    [notice] = [e for e in store.events(0, 100) if e.person_id == person]
    assert notice.event_type == "person.erased" and notice.additional == {"plans": 1}
    with engine.connect() as connection:
        tombstone = connection.execute(
            text("SELECT kind, by, detail FROM audit_events WHERE plan_id IS NULL")
        ).one()
    assert tombstone.kind == "erased" and tombstone.by == "dpo"
    assert rows_mentioning(engine, "KEEP0001")["plans"] == 1


def test_retention_removes_only_what_is_older(engine: Engine) -> None:
    store = Store(engine)
    old, new = WHEN - timedelta(days=400), WHEN
    store.issue("33333333-3333-4333-8333-333333333333", made_for("OLD1"), Asked("pat", old))
    store.issue("44444444-4444-4444-8444-444444444444", made_for("NEW1"), Asked("pat", new))
    plans, events = store.purge(WHEN - timedelta(days=365))
    assert (plans, events) == (1, 1)
    assert rows_mentioning(engine, "OLD1") == {}
    assert store.version("44444444-4444-4444-8444-444444444444").person_id == "NEW1"


def test_the_erase_and_purge_commands_use_the_same_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    assert main(["db", "upgrade", "--database", url]) == 0
    engine = engine_for(url)
    store = Store(engine)
    store.issue("55555555-5555-4555-8555-555555555555", made_for("CLI1"), Asked("pat", WHEN))
    assert main(["erase", "CLI1", "--database", url, "--by", "dpo"]) == 0
    assert "erased 1 plan(s) of CLI1" in capsys.readouterr().out
    assert main(["purge", "--database", url]) == 0
    assert "retention is not set" in capsys.readouterr().out
    assert main(["purge", "--days", "1", "--database", url]) == 0
    assert "purged 0 plan(s)" in capsys.readouterr().out  # the tombstone's notice is newer
    assert main(["purge", "--days", "soon", "--database", url]) == 2
    down = "postgresql+psycopg://matcher@127.0.0.1:9/nowhere"
    assert main(["erase", "CLI1", "--database", down]) == 1
    assert "unavailable" in capsys.readouterr().err


def test_the_commands_build_without_a_user_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    def no_user() -> str:
        raise KeyError("getpwuid(): uid not found: 54321")

    monkeypatch.setattr(getpass, "getuser", no_user)
    from matcher.cli.main import build_parser

    assert build_parser().parse_args(["erase", "X1"]).by is None


def test_a_version_that_cannot_be_made_writes_nothing(engine: Engine) -> None:
    store = Store(engine)
    plan_id = "66666666-6666-4666-8666-666666666666"
    store.issue(plan_id, made_for("FAIL1"), Asked("pat", WHEN))

    def refuse(current: Any, so_far: Any, progress: Any) -> Any:
        raise ValueError("refused while planning")

    with pytest.raises(ValueError, match="refused"):
        store.next_version(plan_id, None, refuse, Asked("pat", WHEN))
    assert store.version(plan_id).latest_version == 1
    assert [a["kind"] for a in store.audit(plan_id)] == ["issued"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_plans_stored_before_progress_existed_get_their_due_date(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    from alembic import command

    from matcher.store.database import alembic_config

    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/old.db"
    else:
        from tests.postgres import reset_database

        url = request.getfixturevalue("postgres_url")
        reset_database(url)
    engine = engine_for(url)
    with engine.begin() as connection:  # a database as the first migration left it
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    plan = {
        "plan_start": "2026-11-01",
        "items": [
            {"intervention_id": "a", "start_week": 3, "status": None},
            {"intervention_id": "b", "start_week": 0, "status": "started"},
        ],
    }
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO plans (plan_id, person_id, created_at, created_by, latest_version,"
                " updated_at) VALUES ('p1', 'OLD1', :at, 'pat', 1, :at)"
            ),
            {"at": WHEN},
        )
        connection.execute(
            Base.metadata.tables["plan_versions"].insert(),
            {
                "plan_id": "p1",
                "version": 1,
                "created_at": WHEN,
                "created_by": "pat",
                "cause": "issued",
                "rules_version": "sha256:x",
                "planned_on": date(2026, 11, 1),
                "assessment": {"person_id": "OLD1"},
                "plan": plan,
            },
        )
    migrate(engine)
    [overdue] = Store(engine).overdue(date(2026, 11, 30), 10)
    assert overdue.plan_id == "p1"  # due 2026-11-22: the first item not under way
    assert Store(engine).overdue(date(2026, 11, 22), 10) == []
    engine.dispose()
