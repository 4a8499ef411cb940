"""A real PostgreSQL server, installed and started by the test setup: it answers, keeps what is
committed in a transaction, and lets one connection see what another has committed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.postgres import reset_database

pytestmark = pytest.mark.slow


@pytest.fixture()
def engine(postgres_url: str) -> Iterator[Engine]:
    """An engine on the test database, emptied first."""
    reset_database(postgres_url)
    engine = create_engine(postgres_url)
    yield engine
    engine.dispose()


def test_the_server_is_postgresql_and_keeps_a_row_written_in_a_transaction(engine: Engine) -> None:
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version()")).scalar_one()
    assert "PostgreSQL" in version
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE person (id integer PRIMARY KEY, name text NOT NULL)"))
        connection.execute(text("INSERT INTO person VALUES (1, 'Ada')"))
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, name FROM person")).all()
    assert [tuple(row) for row in rows] == [(1, "Ada")]


def test_two_open_connections_see_each_others_rows_once_committed(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE note (body text NOT NULL)"))
    count = text("SELECT count(*) FROM note")
    with engine.connect() as first, engine.connect() as second:
        first.execute(text("INSERT INTO note VALUES ('from the first')"))
        assert second.execute(count).scalar_one() == 0  # not committed yet: not seen
        second.commit()
        first.commit()
        assert second.execute(count).scalar_one() == 1
        second.execute(text("INSERT INTO note VALUES ('from the second')"))
        second.commit()
        first.rollback()  # end the first's transaction, so it reads afresh
        bodies = first.execute(text("SELECT body FROM note ORDER BY body")).scalars().all()
    assert bodies == ["from the first", "from the second"]
