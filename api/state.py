"""What the app keeps between requests: drawn pictures, and the reloader of the live rulebook."""

from __future__ import annotations

import io
import logging
import threading

from api.errors import ApiError, problem_items
from api.schemas import ReloadResponse
from api.settings import Settings
from matcher.model.errors import RulebookError
from matcher.rulebook.book import Rulebook
from matcher.rulebook.build import load
from matcher.rulebook.live import LiveRulebook

logger = logging.getLogger("matcher.api")


class Pictures:
    """Drawn sequencing graphs, one per rules version and format (matplotlib is not thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._drawn: dict[tuple[str, str], bytes] = {}

    def draw(self, rulebook: Rulebook, fmt: str) -> bytes:
        from matcher.reports.pictures import draw_policy_graph  # matplotlib is slow: on demand

        with self._lock:
            key = (rulebook.version, fmt)
            if key not in self._drawn:
                buffer = io.BytesIO()
                draw_policy_graph(rulebook, buffer, fmt)
                self._drawn = {k: v for k, v in self._drawn.items() if k[0] == rulebook.version}
                self._drawn[key] = buffer.getvalue()
            return self._drawn[key]


class Reloader:
    """Reloads the live rulebook from the configured folders, one reload at a time."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()

    def reload(self, live: LiveRulebook) -> ReloadResponse:
        with self._lock:
            old = live.current.version
            try:
                new = load(self._settings.rules_dir, self._settings.catalogue_dir, probe=True)
                live.swap(new)
            except RulebookError as error:
                logger.warning("reload refused: %s; %s is still live", error, old)
                items = problem_items(error.problems)
                raise ApiError(
                    422,
                    f"the rulebook was not reloaded: {len(items)} problem(s); {old} is still live",
                    items,
                    "rulebook_invalid",
                ) from error
            logger.info("reloaded rules %s -> %s", old, new.version)
            return ReloadResponse(
                rules_version=new.version,
                previous_version=old,
                changed=new.version != old,
                reloads=live.reloads,
            )
