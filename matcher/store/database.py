"""The database: an engine for a URL (an embedded SQLite file by default, PostgreSQL in
production), migrated to the latest schema on first use, one migration at a time."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url

from matcher.model.errors import StoreUnavailableError

DEFAULT_DATABASE = "sqlite:///var/matcher.db"  # an embedded file, relative to where matcher runs
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_MS = 30_000  # how long a SQLite writer waits for another before giving up (then: 503)
LOCK_KEY = 0x6D617463  # "matc": the advisory lock that keeps migrations one at a time


def engine_for(url: str) -> Engine:
    """An engine for ``url``; a SQLite file's folder is created, and SQLite is set up for several
    processes (write-ahead log, a wait for the write lock, foreign keys, writers queued at BEGIN)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=20,
            pool_timeout=10,
            connect_args={"connect_timeout": 5} if parsed.drivername.endswith("psycopg") else {},
        )
    engine = create_engine(url, connect_args={"timeout": BUSY_MS / 1000})
    event.listen(engine, "connect", _sqlite_connected)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connected(connection: Any, _record: Any) -> None:
    connection.isolation_level = None  # transactions are begun by _sqlite_begin, not the driver
    cursor = connection.cursor()
    # synchronous=NORMAL: in WAL mode a commit survives the process being killed (not a power
    # cut, which may lose the last commits but never corrupts); secure_delete: an erased
    # person's rows are overwritten, not left in free pages
    pragmas = (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        f"busy_timeout={BUSY_MS}",
        "foreign_keys=ON",
        "secure_delete=ON",
    )
    for pragma in pragmas:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """Writers take the write lock at BEGIN, so two never deadlock upgrading a read lock."""
    write = connection.get_execution_options().get("write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head() -> str | None:
    """The latest migration's id."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _known() -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current(engine: Engine) -> str | None:
    """The migration the database is at (None: not created yet)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> None:
    """Bring the database to the latest schema; safe when several processes start at once.
    A SQLite file's folder is made first. A database at a migration this code does not know
    (newer code ran on it) is refused as unavailable: nothing is written to it."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    found = current(engine)
    if found == head():
        return
    if found is not None and found not in _known():
        raise StoreUnavailableError(
            f"the database is at migration {found!r}, which this version of matcher does not "
            f"know (its latest is {head()!r}): upgrade matcher, or point it at another database"
        )
    with _one_at_a_time(engine), engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextlib.contextmanager
def _one_at_a_time(engine: Engine) -> Iterator[None]:
    """A lock across processes: PostgreSQL's advisory lock, or a lock file beside a SQLite file."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                connection.commit()
    elif url.database and url.database != ":memory:":
        with open(f"{url.database}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    else:
        yield


def describe(url: str) -> str:
    """The URL without its password, for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)


@contextlib.contextmanager
def reachable() -> Iterator[None]:
    """The database's own failures (gone, refusing, read-only, locked past the wait, at a schema
    this code does not know) as one error; a request's own faults (integrity, bad data) pass."""
    try:
        yield
    except (exc.IntegrityError, exc.DataError):
        raise
    except (exc.DBAPIError, exc.TimeoutError, exc.InterfaceError) as error:
        raise StoreUnavailableError(f"the database is unavailable: {_first_line(error)}") from error


def _first_line(error: Exception) -> str:
    original = getattr(error, "orig", None) or error
    return str(original).strip().splitlines()[0] if str(original).strip() else type(error).__name__
