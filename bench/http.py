"""HTTP on loopback: POST /v1/plans?store=false (planning) and POST /v1/plans (planning and
storing, in a SQLite file of the run's own) beside the framework floor POST /v1/_floor/plans.

uvicorn serves ``api.main:app`` on 127.0.0.1 with 1 and then 2 workers (MATCHER_BENCH_ENDPOINTS=1
turns the floor endpoint on: it validates the body like /v1/plans and returns the person's plan as
first made, kept, so the same bytes go back without planning; every body is sent to it once
before it is timed). A small asyncio + httpx client keeps ``concurrency`` requests in flight, bounded
by a request count and a time limit. The client runs on the same machine, so on a 2-core box it
competes with the server for CPU; the floor pays the same tax, which is why the ratio is the
figure to read.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import ROOT, summary_us

HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """uvicorn in a child process; stopped (that process group only) on exit."""

    def __init__(self, workers: int) -> None:
        self.workers, self.port = workers, _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.folder = tempfile.TemporaryDirectory(prefix="matcher-bench-")
        self.log = open(Path(self.folder.name) / "server.log", "wb")
        env = {
            **os.environ,
            "MATCHER_BENCH_ENDPOINTS": "1",
            "PYTHONPATH": str(ROOT),
            "MATCHER_DATABASE_URL": f"sqlite:///{self.folder.name}/bench.db",
        }
        uvicorn = Path(sys.executable).with_name("uvicorn")
        self.process = subprocess.Popen(
            [
                str(uvicorn),
                "api.main:app",
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            # to a file: the access log writes a line a request, and a pipe nobody reads fills
            # after ~450 requests and stops the server mid-benchmark
            stderr=self.log,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {self.server_log()[-800:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("uvicorn did not become ready within 60 s")

    def server_log(self) -> str:
        return (Path(self.folder.name) / "server.log").read_text(encoding="utf-8", errors="replace")

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
        self.log.close()
        self.folder.cleanup()


async def _load(
    url: str, bodies: list[bytes], concurrency: int, requests: int, seconds: float
) -> dict[str, Any]:
    latencies: list[float] = []
    failures = 0
    issued = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one_worker() -> None:
            nonlocal issued, failures
            while issued < requests and time.perf_counter() < deadline:
                body = bodies[issued % len(bodies)]
                issued += 1
                start = time.perf_counter()
                response = await client.post(url, content=body, headers=headers)
                latencies.append(time.perf_counter() - start)
                if response.status_code != 200:
                    failures += 1

        started = time.perf_counter()
        await asyncio.gather(*(one_worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    stats = summary_us(latencies)
    return {
        "requests": len(latencies),
        "failures": failures,
        "per_s": len(latencies) / elapsed,
        "p50_ms": stats["median"] / 1000,
        "p99_ms": stats["p99"] / 1000,
    }


def measure(
    url: str, bodies: list[bytes], concurrency: int, requests: int, seconds: float, warm: int = 200
) -> dict[str, Any]:
    asyncio.run(_load(url, bodies, concurrency, min(warm, requests), 120))  # warm-up
    return asyncio.run(_load(url, bodies, concurrency, requests, seconds))


def run(
    bodies: list[bytes],
    workers: tuple[int, ...] = (1, 2),
    concurrency: int = 8,
    requests: int = 3000,
    seconds: float = 30,
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for count in workers:
        with Server(count) as server:
            url = f"{server.url}/v1/plans"
            plans = measure(f"{url}?store=false", bodies, concurrency, requests, seconds)
            stored = measure(url, bodies, concurrency, requests, seconds)
            # the floor keeps each person's plan as first made: every body once before timing
            floor = measure(
                f"{server.url}/v1/_floor/plans", bodies, concurrency, requests, seconds, len(bodies)
            )
        results[str(count)] = {"plans": plans, "stored": stored, "floor": floor}
    return results
