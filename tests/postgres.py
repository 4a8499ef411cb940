"""Install (from the distribution's packages) and run a throwaway PostgreSQL server for tests.

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
``postgres`` system user (``runuser -u postgres --``), and the folders leading to the cluster are
made traversable by it (``o+x``) while it runs, then put back as they were.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg.rows import TupleRow
from sqlalchemy import create_engine, text

SERVER_TOOLS = ("initdb", "pg_ctl", "postgres")
DEBIAN_ROOT = Path("/usr/lib/postgresql")
DATABASE = "matcher_test"
USER = "postgres"  # the system user the server runs as when we are root, and the superuser
SERVER_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
SERVER_OPTIONS += " -c max_connections=200"
READY_WITHIN = 60  # seconds


def find_bin_dir() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres (the newest version), or None."""
    for candidate in _candidate_bin_dirs():
        if all((candidate / tool).is_file() for tool in SERVER_TOOLS):
            return candidate
    return None


def _candidate_bin_dirs() -> Iterator[Path]:
    versions = [d for d in DEBIAN_ROOT.glob("*") if re.fullmatch(r"\d+(\.\d+)?", d.name)]
    for version in sorted(versions, key=lambda d: [int(n) for n in d.name.split(".")])[::-1]:
        yield version / "bin"
    if pg_config := shutil.which("pg_config"):
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if found.returncode == 0 and found.stdout.strip():
            yield Path(found.stdout.strip())
    if initdb := shutil.which("initdb"):
        yield Path(initdb).parent


def ensure_installed() -> Path | str:
    """The server's bin folder, installing the ``postgresql`` package with apt-get if need be.

    Returns a plain-English reason instead when it is not there and cannot be installed."""
    if found := find_bin_dir():
        return found
    if os.geteuid() != 0:
        return "its server programs are not installed, and only root can install them (apt-get install postgresql)"
    if shutil.which("apt-get") is None:
        return "its server programs are not installed, and there is no apt-get to install them with"
    install = ["install", "-y", "--no-install-recommends", "postgresql"]
    result = _apt_get(*install)
    if result.returncode != 0:
        result = _apt_get("update")
        if result.returncode == 0:
            result = _apt_get(*install)
    if result.returncode != 0:
        return f"apt-get failed (exit {result.returncode}):\n{_tail(result.stdout)}"
    return (
        find_bin_dir()
        or "apt-get installed postgresql, but initdb, pg_ctl and postgres are not to be found"
    )


def _apt_get(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "-q", *args]
    return subprocess.run(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _tail(output: str, lines: int = 20) -> str:
    return "\n".join(output.strip().splitlines()[-lines:])


@contextmanager
def running_postgres(base: Path) -> Iterator[str]:
    """Start a fresh server in a temporary folder under ``base`` and yield the SQLAlchemy URL of
    its empty ``matcher_test`` database; stop it and remove the folder afterwards."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL's server programs are not installed (see ensure_installed)")
    cluster = _Cluster(bin_dir, Path(tempfile.mkdtemp(prefix="cluster-", dir=base)), _free_port())
    try:
        cluster.prepare()
        cluster.start()
        cluster.create_database()
        yield f"postgresql+psycopg://{USER}@127.0.0.1:{cluster.port}/{DATABASE}"
    finally:
        try:
            cluster.stop()
        finally:
            cluster.clean_up()


def reset_database(url: str) -> None:
    """Drop and recreate the public schema, so a test starts from an empty database."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class _Cluster:
    """One throwaway cluster: folder/data (the cluster), folder/sock, folder/server.log."""

    bin_dir: Path
    folder: Path
    port: int
    as_root: bool = field(default_factory=lambda: os.geteuid() == 0)
    opened: list[tuple[Path, int]] = field(default_factory=list)  # (folder, its former mode)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def prepare(self) -> None:
        """Make the folders, hand them to the postgres user if we are root, and run initdb."""
        (self.folder / "sock").mkdir()
        if self.as_root:
            _ensure_system_user(USER)
            account = pwd.getpwnam(USER)
            for path in (self.folder, self.folder / "sock"):
                os.chown(path, account.pw_uid, account.pw_gid)
            self._open_ancestors()
        init = ["initdb", "-D", str(self.data), "-U", USER, "-A", "trust", "-E", "UTF8"]
        self._run(*init, "--locale=C", "--no-sync")

    def start(self) -> None:
        """pg_ctl start, waiting until the server accepts connections."""
        sock = shlex.quote(str(self.folder / "sock"))
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {sock} {SERVER_OPTIONS}"
        start = ["pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-o", options]
        try:
            self._run(*start, "-w", "-t", str(READY_WITHIN))
            self._wait_until_ready()
        except RuntimeError as error:
            raise RuntimeError(f"{error}\nserver log (tail):\n{self._log_tail()}") from None

    def create_database(self) -> None:
        with self._connect() as connection:
            connection.execute(f"CREATE DATABASE {DATABASE}")

    def stop(self) -> None:
        """pg_ctl stop -m fast, falling back to -m immediate (if it is running)."""
        if not (self.data / "postmaster.pid").exists():
            return
        if self.as_root:
            self._open_ancestors()  # a concurrent pytest session may have closed pytest-of-root
        for mode in ("fast", "immediate"):
            stop = ["pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-t", str(READY_WITHIN)]
            if self._run(*stop, check=False).returncode == 0:
                return

    def clean_up(self) -> None:
        """Remove the folder and put back the modes of the folders leading to it."""
        shutil.rmtree(self.folder, ignore_errors=True)
        for path, mode in reversed(self.opened):
            path.chmod(mode)

    def _open_ancestors(self) -> None:
        """Let the postgres user through the (root-only) folders above ours: add o+x."""
        for path in self.folder.parents:
            mode = path.stat().st_mode
            if not mode & stat.S_IXOTH:
                path.chmod(mode | stat.S_IXOTH)
                self.opened.append((path, stat.S_IMODE(mode)))

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", USER, "--", *command]
        result = subprocess.run(
            command, cwd=self.folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{tool} failed (exit {result.returncode}):\n{_tail(result.stdout)}")
        return result

    def _connect(self) -> psycopg.Connection[TupleRow]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=USER, dbname="postgres", autocommit=True
        )

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_WITHIN
        while True:
            try:
                self._connect().close()
                return
            except psycopg.OperationalError as error:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server not accepting connections: {error}") from None
                time.sleep(0.1)

    def _log_tail(self) -> str:
        try:
            return _tail(self.log.read_text(errors="replace"))
        except OSError as error:
            return f"(no server log: {error})"


def _ensure_system_user(name: str) -> None:
    """Create a system user (the Debian package makes one; a bare image may not have it)."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", name], check=True)
