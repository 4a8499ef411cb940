"""A caseload re-planned on every core: each worker process compiles the rulebooks once, then
plans its share of the cases; only what each case yields (a plan, a difference) comes back.

``workers=1`` plans in this process, on rulebooks already loaded: the service's batch endpoint
takes that path (a server's concurrency is its own worker processes; a pool per request would
starve the other requests). ``matcher replan`` and ``matcher diff`` use every core.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from matcher.model.contract import Assessment
from matcher.model.errors import MatcherError
from matcher.rulebook.book import Rulebook
from matcher.rulebook.build import load

T = TypeVar("T")

# what one job does with one case: (its line, its assessment, the rulebooks, the day) → a result
Job = Callable[[int, Assessment, Sequence[Rulebook], date], T]

CHUNK = 200  # cases per task: large enough that sending them costs little beside planning them


@dataclass(frozen=True)
class Folders:
    """Where one rulebook's files are: a worker process loads it from here."""

    rules: Path
    catalogue: Path


_books: list[Rulebook] = []  # in a worker process: its rulebooks, compiled once


def _start(folders: Sequence[Folders], versions: Sequence[str | None]) -> None:
    _books[:] = [_load(f) for f in folders]
    for book, wanted in zip(_books, versions, strict=True):
        if wanted is not None and book.version != wanted:  # the files changed under the run
            raise MatcherError(f"the rules changed during the run: {wanted} became {book.version}")


def _run(task: tuple[Job[T], list[tuple[int, str]], date]) -> list[T | dict[str, Any]]:
    job, lines, today = task
    return [_one(job, line, text, _books, today) for line, text in lines]


def _one(
    job: Job[T], line: int, text: str, books: Sequence[Rulebook], today: date
) -> T | dict[str, Any]:
    try:
        assessment = Assessment.model_validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        return {"line": line, "error": f"{'.'.join(map(str, first['loc']))}: {first['msg']}"}
    return job(line, assessment, books, today)


def cores() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def lines_of(path: Path) -> Iterator[tuple[int, str]]:
    """A JSON Lines caseload's non-blank lines, numbered from 1, read as they are needed."""
    with path.open(encoding="utf-8") as caseload:
        for number, text in enumerate(caseload, start=1):
            if text.strip():
                yield number, text


def each_case(
    job: Job[T],
    lines: Iterable[tuple[int, str]],
    folders: Sequence[Folders],
    today: date,
    workers: int | None = None,
    books: Sequence[Rulebook] | None = None,
) -> Iterator[T | dict[str, Any]]:
    """``job`` on every case (numbered JSON lines), in the caseload's order, on ``workers``
    processes (default: every core); a line that is not an assessment gives ``{"line",
    "error"}``. With one worker it runs here, on ``books`` if given (else loaded from
    ``folders``)."""
    workers = workers or cores()
    if workers == 1:
        here = list(books) if books is not None else [_load(f) for f in folders]
        for line, text in lines:
            yield _one(job, line, text, here, today)
        return
    versions = [b.version for b in books] if books is not None else [None] * len(folders)
    context = multiprocessing.get_context("spawn")  # no engine state is ever copied by fork
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start, initargs=(list(folders), versions)
    ) as pool:
        waiting: deque[Future[list[T | dict[str, Any]]]] = deque()
        try:
            for chunk in _chunks(lines):  # a few chunks ahead per worker, read as needed
                waiting.append(pool.submit(_run, (job, chunk, today)))
                if len(waiting) >= 4 * workers:
                    yield from waiting.popleft().result()
            while waiting:
                yield from waiting.popleft().result()
        except BrokenProcessPool as error:  # a worker died or could not load the rules
            raise MatcherError(f"a worker process stopped: {error}") from error
        finally:
            for future in waiting:
                future.cancel()


def _load(folders: Folders) -> Rulebook:
    return load(folders.rules, folders.catalogue, probe=False)


def _chunks(lines: Iterable[tuple[int, str]]) -> Iterator[list[tuple[int, str]]]:
    chunk: list[tuple[int, str]] = []
    for case in lines:
        chunk.append(case)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def plan_json(line: int, assessment: Assessment, books: Sequence[Rulebook], today: date) -> Any:
    """A job: the plan under the first rulebook, as JSON text (or the error, as a dict)."""
    from matcher.planning.planner import plan

    try:
        return plan(assessment, books[0], today=today).model_dump_json(exclude_none=True)
    except MatcherError as error:
        return {"line": line, "person_id": assessment.person_id, "error": str(error)}
