"""The live rulebook of a running service: atomic swap on reload, old engines freed once drained.

In-flight evaluations keep the rulebook they started with. The caller builds and checks the new
rulebook completely before the swap, so a broken change never replaces a working one. The old
rulebook's C rulesets are deleted when its last evaluation finishes, which keeps memory bounded
over any number of reloads (docs/adr/0003-reload.md).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from matcher.rulebook.book import Rulebook


class LiveRulebook:
    """Holds the current Rulebook; hands it out per request; swaps it atomically."""

    def __init__(self, current: Rulebook) -> None:
        self._lock = threading.Lock()
        self._current = current
        self._in_use: dict[int, int] = {}
        self._retired: dict[int, Rulebook] = {}
        self.reloads = 0

    @property
    def current(self) -> Rulebook:
        return self._current

    @contextmanager
    def use(self) -> Iterator[Rulebook]:
        """The current rulebook, kept alive until the block ends even if a reload happens."""
        with self._lock:
            book = self._current
            self._in_use[id(book)] = self._in_use.get(id(book), 0) + 1
        try:
            yield book
        finally:
            with self._lock:
                left = self._in_use[id(book)] = self._in_use[id(book)] - 1
                if left == 0:
                    del self._in_use[id(book)]
                    retired = self._retired.pop(id(book), None)
                    if retired is not None:
                        retired.engine.close()

    def swap(self, new: Rulebook) -> Rulebook:
        """Make ``new`` current; the old one is closed as soon as nothing uses it. Returns the old."""
        with self._lock:
            old, self._current = self._current, new
            self.reloads += 1
            if old is not new:
                if self._in_use.get(id(old)):
                    self._retired[id(old)] = old
                else:
                    old.engine.close()
        return old
