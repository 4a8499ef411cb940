"""`matcher erase PERSON_ID`, `matcher purge` and `matcher db upgrade`: stored plans from a
terminal, on the database the service uses (``MATCHER_DATABASE_URL``, else the embedded file)."""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from matcher.model.errors import StoreError
from matcher.store.database import DEFAULT_DATABASE, describe, head
from matcher.store.plans import Store
from matcher.store.records import Asked
from matcher.store.storage import Storage


def _storage(args: argparse.Namespace) -> Storage:
    return Storage(args.database or os.environ.get("MATCHER_DATABASE_URL") or DEFAULT_DATABASE)


def _user() -> str:
    """The operating-system user, or the uid where it has no name (a container's random uid)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid{os.getuid()}"


def _using(args: argparse.Namespace, act: Callable[[Store], str]) -> int:
    """Run ``act`` on the store and print what it says; a database error is exit status 1."""
    storage = _storage(args)
    try:
        said = act(storage.store())
    except StoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        storage.close()
    print(said)
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    asked = Asked(args.by or f"cli:{_user()}", datetime.now(UTC))

    def erase(store: Store) -> str:
        erased = store.erase(args.person_id, asked)
        return f"erased {erased} plan(s) of {args.person_id}; a tombstone stays"

    return _using(args, erase)


def cmd_purge(args: argparse.Namespace) -> int:
    given = args.days or os.environ.get("MATCHER_RETENTION_DAYS")
    if not given:
        print("retention is not set (MATCHER_RETENTION_DAYS or --days): nothing purged")
        return 0
    if not re.fullmatch(r"[0-9]{1,6}", str(given)) or int(given) < 1:
        print(f"error: retention must be a whole number of days, got {given!r}", file=sys.stderr)
        return 2
    before = datetime.now(UTC) - timedelta(days=int(given))

    def purge(store: Store) -> str:
        plans, events = store.purge(before)
        return f"purged {plans} plan(s) and {events} event(s) untouched since {before:%Y-%m-%d}"

    return _using(args, purge)


def cmd_upgrade(args: argparse.Namespace) -> int:
    return _using(args, lambda store: f"{describe(str(store.engine.url))} is at migration {head()}")


def register(subparsers: Any) -> None:
    """Add ``matcher erase``, ``matcher purge`` and ``matcher db upgrade``."""
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--database", default=None, help="database URL (default MATCHER_DATABASE_URL, or the file)"
    )
    erase = subparsers.add_parser(
        "erase", parents=[database], help="erase a person's stored plans, leaving a tombstone"
    )
    erase.add_argument("person_id", help="the person's id (CRN) as the plans give it")
    erase.add_argument("--by", default=None, help="who asked, for the audit (default cli:<user>)")
    erase.set_defaults(run=cmd_erase)
    purge = subparsers.add_parser(
        "purge", parents=[database], help="remove plans and events older than the retention period"
    )
    purge.add_argument("--days", default=None, help="retention in days (MATCHER_RETENTION_DAYS)")
    purge.set_defaults(run=cmd_purge)
    db = subparsers.add_parser("db", help="the stored plans' database")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser(
        "upgrade", parents=[database], help="create or migrate the database to the latest schema"
    )
    upgrade.set_defaults(run=cmd_upgrade)
