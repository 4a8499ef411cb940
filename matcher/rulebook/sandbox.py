"""Check policy files in a worker process that can be stopped: CPU and memory limits, bounded answers.

The service keeps a few of these workers warm (api/validation.py). Each worker limits its own
address space once, and its CPU time before every check; a check that passes the CPU limit is
killed by the kernel (SIGXCPU), one that runs out of memory answers "memory" and exits, and the
parent kills one that takes too long on the wall clock or whose caller has gone. A worker is
started by ``multiprocessing``'s forkserver with this module preloaded, so it inherits nothing
of the server (no engine, no sockets) and starts in milliseconds.
"""

from __future__ import annotations

import contextlib
import os
import resource
import traceback
from collections.abc import Collection
from dataclasses import dataclass
from multiprocessing.connection import Connection

from matcher.model.errors import Problem, RulebookError
from matcher.rulebook.build import check_sources
from matcher.rulebook.sources import sources_from_texts

MAX_PROBLEMS = 200  # problems in one answer; the rest are counted, not listed
MAX_MESSAGE = 500  # characters of one problem's message


@dataclass(frozen=True)
class Report:
    """What checking a set of files found: whether it would load, its version, its problems;
    ``failure`` is the stack of a checker bug (no message: it may quote the files); ``refused``
    the files that were not read at all."""

    valid: bool
    version: str
    problems: tuple[Problem, ...]
    failure: str = ""
    refused: tuple[Problem, ...] = ()  # files not read at all (a limit passed, not UTF-8)


@dataclass(frozen=True)
class Job:
    """One check: the live files (sent once per rules version), the change laid over them."""

    live_key: str
    live: dict[str, str] | None
    change: dict[str, str | None]
    cpu_seconds: int


def check_texts(texts: dict[str, str], changed: Collection[str] = ()) -> Report:
    """Every check on in-memory files (``{"rules/x.yaml": text}``), problems bounded in number and
    length; a checker bug (any other exception) is the report's ``failure``. A file of
    ``changed`` that cannot be read at all stops the check there.

    >>> report = check_texts({"rules/vocabulary.yaml": "x: [1"})
    >>> report.valid, report.problems[0].line
    (False, 1)
    """
    sources = sources_from_texts(texts)
    refused = bounded(sources.refused)
    if any(p.file in changed for p in refused):  # refused outright: checking the rest is moot
        return Report(False, sources.version, refused, refused=refused)
    try:
        problems, valid = check_sources(sources).problems, True
    except RulebookError as error:
        problems, valid = error.problems, False
    except MemoryError:
        raise
    except Exception as error:  # a checker bug must still answer the policy officer, not 500
        return Report(False, sources.version, (), stack(error))
    return Report(valid, sources.version, bounded(problems), refused=refused)


def stack(error: BaseException) -> str:
    """Where ``error`` was raised and its type, without its message (which may quote a file)."""
    return "".join(traceback.format_tb(error.__traceback__, limit=20)) + type(error).__name__


def bounded(problems: list[Problem]) -> tuple[Problem, ...]:
    """At most MAX_PROBLEMS problems (errors first), each message at most MAX_MESSAGE characters.

    >>> many = [Problem("r.yaml", n, "x" * 900, severity="warning") for n in range(1, 300)]
    >>> shown = bounded(many)
    >>> len(shown), len(shown[0].message), shown[-1].message
    (201, 500, '99 more problems are not shown: fix these first')
    """
    ordered = sorted(problems, key=lambda p: p.severity != "error")
    shown = [_short(p) for p in ordered[:MAX_PROBLEMS]]
    hidden = len(ordered) - len(shown)
    found = sorted(shown)
    if hidden:
        found.append(
            Problem(
                "(checker)",
                1,
                f"{hidden} more problems are not shown: fix these first",
                severity="warning",
            )
        )
    return tuple(found)


def _short(problem: Problem) -> Problem:
    if len(problem.message) <= MAX_MESSAGE:
        return problem
    message = problem.message[: MAX_MESSAGE - 1] + "…"
    return Problem(problem.file, problem.line, message, problem.suggestion[:80], problem.severity)


def serve(connection: Connection, memory_bytes: int) -> None:
    """A worker's life: take jobs until the parent closes the pipe; each answer is a pair,
    ``("report", Report)`` or ``("memory", "")`` (then the worker exits)."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGXCPU would otherwise dump core
    os.nice(10)  # on a busy machine the server (health, plans) comes before a validation
    live: dict[str, str] = {}
    while True:
        try:
            job: Job = connection.recv()
        except (EOFError, OSError):
            return
        _limit_cpu(job.cpu_seconds)
        if job.live is not None:
            live = job.live
        try:
            connection.send(("report", check_texts(merged(live, job.change), job.change)))
        except MemoryError:
            _answer(connection, ("memory", ""))
            return
        except Exception as error:  # reading the files failed: a bug, logged by the parent
            _answer(connection, ("report", Report(False, "", (), stack(error))))


def merged(live: dict[str, str], change: dict[str, str | None]) -> dict[str, str]:
    """The live files with a change laid over them (``None`` deletes a file)."""
    merged = dict(live)
    for name, text in change.items():
        if text is None:
            merged.pop(name, None)
        else:
            merged[name] = text
    return merged


def _limit_cpu(seconds: int) -> None:
    """CPU time from now on at most ``seconds`` (the limit counts the process's whole life)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(used.ru_utime + used.ru_stime) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = spent + seconds if hard == resource.RLIM_INFINITY else min(spent + seconds, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _answer(connection: Connection, answer: tuple[str, object]) -> None:
    with contextlib.suppress(OSError, MemoryError):  # the parent reads the exit code instead
        connection.send(answer)
