"""Rule validation where it can be stopped: a few warm worker processes, limits in time and memory.

``POST /v1/rules/validate`` awaits a worker (matcher.rulebook.sandbox) instead of checking in the
server: the server's threads stay free for health and planning, a check that takes longer than
``MATCHER_VALIDATE_WALL_SECONDS`` or whose caller has gone is killed, and at most
``MATCHER_VALIDATE_CONCURRENCY`` checks run at once (the next caller gets 503 and Retry-After).
Workers come from multiprocessing's forkserver, so none is a fork of the server and its engine
(as with any multiprocessing start method but fork, the server's main module must be importable
without starting anything: uvicorn's and gunicorn's are).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Annotated, Any

from fastapi import Depends, Request

from api.errors import ApiError, ErrorItem
from api.settings import Settings
from matcher.rulebook.sandbox import Job, Report, serve

POLL_SECONDS = 0.05
RETRY_AFTER_SECONDS = "2"
MAX_JOBS_PER_WORKER = 100  # then a fresh worker: memory a big check left behind is given back
IDLE_WORKERS = 2  # kept warm between calls; more start when more calls come at once
LIMIT = "validation_limit"


@dataclass
class _Worker:
    process: BaseProcess
    connection: Connection
    live_key: str = ""
    jobs: int = 0


class Validator:
    """A small pool of warm workers that check policy files within the configured limits."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["matcher.rulebook.sandbox"])
        self._idle: list[_Worker] = []
        self._running = 0

    async def check(
        self,
        live_key: str,
        live: dict[str, str],
        change: dict[str, str | None],
        disconnected: Callable[[], Awaitable[bool]],
    ) -> Report:
        """``change`` laid over ``live`` and checked in a worker; ApiError when a limit stops it."""
        if self._running >= self._settings.validate_concurrency:
            raise ApiError(
                503,
                f"{self._running} validations are running, the most at once "
                "(MATCHER_VALIDATE_CONCURRENCY): try again shortly",
                code="validation_busy",
                headers={"Retry-After": RETRY_AFTER_SECONDS},
            )
        self._running += 1
        try:
            worker = await self._send(live_key, live, change)
            return await self._answer(worker, disconnected)
        finally:
            self._running -= 1

    async def _send(
        self, live_key: str, live: dict[str, str], change: dict[str, str | None]
    ) -> _Worker:
        """A worker that has taken the job: an idle one, or a new one if none is (or it died)."""
        for _ in range(2):
            worker = self._idle.pop() if self._idle else await asyncio.to_thread(self._start)
            job = Job(
                live_key,
                None if worker.live_key == live_key else live,
                change,
                self._settings.validate_cpu_seconds,
            )
            try:
                await asyncio.to_thread(worker.connection.send, job)
            except OSError:  # it died while idle: start another
                await self._stop(worker)
                continue
            worker.live_key, worker.jobs = live_key, worker.jobs + 1
            return worker
        raise ApiError(503, "no validation worker could be started", code="validation_busy")

    async def _answer(self, worker: _Worker, disconnected: Callable[[], Awaitable[bool]]) -> Report:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settings.validate_wall_seconds
        while not worker.connection.poll():
            if not worker.process.is_alive():
                await self._stop(worker)
                raise self._died(worker)
            if loop.time() > deadline:
                await self._stop(worker)
                raise _limit(
                    f"the check took longer than {self._settings.validate_wall_seconds:g} s "
                    "(MATCHER_VALIDATE_WALL_SECONDS) and was stopped: send fewer or smaller files"
                )
            if await disconnected():
                await self._stop(worker)
                raise ApiError(400, "the client left before the check finished", code="cancelled")
            await asyncio.sleep(POLL_SECONDS)
        try:
            kind, payload = worker.connection.recv()
        except (EOFError, OSError):
            await self._stop(worker)
            raise self._died(worker) from None
        if kind == "memory":
            await self._stop(worker)
            raise _memory(self._settings.validate_memory_mb)
        await self._release(worker)
        report: Report = payload
        return report

    def _died(self, worker: _Worker) -> ApiError:
        worker.process.join(1)
        code = worker.process.exitcode
        if code == -signal.SIGXCPU:
            return _limit(
                f"the check used more than {self._settings.validate_cpu_seconds} s of CPU "
                "(MATCHER_VALIDATE_CPU_SECONDS) and was stopped: send fewer or smaller files"
            )
        if code == -signal.SIGKILL:  # the kernel's out-of-memory killer, most likely
            return _memory(self._settings.validate_memory_mb)
        return _limit(f"the check stopped without an answer (exit code {code})")

    def _start(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        memory = self._settings.validate_memory_mb * 1024 * 1024
        process = self._context.Process(
            target=serve, args=(theirs, memory), daemon=True, name="matcher-validate"
        )
        process.start()
        theirs.close()
        return _Worker(process, ours)

    async def _release(self, worker: _Worker) -> None:
        if len(self._idle) < IDLE_WORKERS and worker.jobs < MAX_JOBS_PER_WORKER:
            self._idle.append(worker)
        else:
            await self._stop(worker)

    async def _stop(self, worker: _Worker) -> None:
        """Kill the worker and reap it (on a thread: the event loop never waits for it)."""
        worker.connection.close()
        if worker.process.is_alive():
            worker.process.kill()
        await asyncio.to_thread(worker.process.join, 5)

    def close(self) -> None:
        for worker in self._idle:
            worker.connection.close()
            worker.process.kill()
            worker.process.join(5)
        self._idle.clear()


def _limit(message: str) -> ApiError:
    return ApiError(422, message, [ErrorItem(path="files", message=message)], code=LIMIT)


def _memory(megabytes: int) -> ApiError:
    return _limit(
        f"the check needed more than {megabytes} MB of memory (MATCHER_VALIDATE_MEMORY_MB) "
        "and was stopped: send fewer or smaller files"
    )


async def get_validator(request: Request) -> Validator:
    """The app's validator, made on first use (its workers start when the first check comes).
    Async, as the route: both run on the event loop, so no lock and no thread is needed."""
    validator: Validator | None = getattr(request.app.state, "validator", None)
    if validator is None:
        validator = request.app.state.validator = Validator(request.app.state.settings)
    return validator


ValidatorDep = Annotated[Validator, Depends(get_validator)]


def file_limits(files: dict[str, str | None], settings: Settings) -> None:
    """Refuse (413) more files, or bigger ones, than a validation takes."""
    if len(files) > settings.validate_max_files:
        message = f"{len(files)} files; at most {settings.validate_max_files} in one validation (MATCHER_VALIDATE_MAX_FILES)"
        raise ApiError(413, message, [ErrorItem(path="files", message=message)], code=LIMIT)
    sizes = {
        name: len(text.encode("utf-8", "surrogatepass")) for name, text in files.items() if text
    }
    big: list[Any] = [
        ErrorItem(
            path=f"files.{name}",
            message=f"{size:,} bytes; at most {settings.validate_max_file_bytes:,} per file (MATCHER_VALIDATE_MAX_FILE_BYTES)",
        )
        for name, size in sizes.items()
        if size > settings.validate_max_file_bytes
    ]
    total = sum(sizes.values())
    if total > settings.validate_max_total_bytes:
        big.append(
            ErrorItem(
                path="files",
                message=f"{total:,} bytes in all; at most {settings.validate_max_total_bytes:,} (MATCHER_VALIDATE_MAX_TOTAL_BYTES)",
            )
        )
    if big:
        raise ApiError(413, "the files are too large to validate", big, code=LIMIT)
