"""The service's way to its stored plans: the database is reached and migrated on first use, and
tried again (every few seconds at most) while it is down, so the service starts and plans anyway."""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from matcher.model.errors import StoreError, StoreUnavailableError
from matcher.store.database import describe, engine_for, migrate, reachable
from matcher.store.plans import Store

logger = logging.getLogger("matcher.store")
RETRY_SECONDS = 2.0


class Storage:
    """One database for the life of the service. A malformed URL fails at once; an unreachable
    database only makes stored-plan calls fail (``StoreUnavailableError``) until it is back."""

    def __init__(self, url: str) -> None:
        self.url = describe(url)
        self._engine = engine_for(url)
        self._store: Store | None = None
        self._lock = threading.Lock()
        self._next_try = 0.0
        self._why = ""

    def store(self) -> Store:
        """The store, migrated to the latest schema. While the database is down, callers get
        ``StoreUnavailableError`` at once: one of them tries again every few seconds, the others
        never queue behind it."""
        if self._store is not None:
            return self._store
        if time.monotonic() < self._next_try or not self._lock.acquire(blocking=False):
            raise StoreUnavailableError(self._why or "the database is being reached; retry shortly")
        try:
            if self._store is None:
                self._store = self._reach()
            return self._store
        finally:
            self._lock.release()

    def _reach(self) -> Store:
        try:
            with reachable():
                migrate(self._engine)
        except StoreUnavailableError as error:
            self._next_try, self._why = time.monotonic() + RETRY_SECONDS, str(error)
            logger.warning("stored plans unavailable (%s): %s", self.url, error)
            raise
        except OSError as error:  # a SQLite file's folder that cannot be made
            self._next_try = time.monotonic() + RETRY_SECONDS
            self._why = f"the database is unavailable: {error}"
            logger.warning("stored plans unavailable (%s): %s", self.url, error)
            raise StoreUnavailableError(self._why) from error
        logger.info("stored plans in %s", self.url)
        return Store(self._engine)

    def prepare(self) -> None:
        """Reach and migrate the database now if it is there (at start-up); never raises for a
        database that is down."""
        with contextlib.suppress(StoreError):
            self.store()

    def close(self) -> None:
        self._engine.dispose()
