"""Shared pieces: the stand-ins and app processes, a bounded load generator, statistics.

Clocks: every time compared across processes is ``time.monotonic()``, which on Linux is
``CLOCK_MONOTONIC``, one clock for the whole machine; so a standalone FakeSlack's
``Call.time`` (taken when a request reaches it) can be set against the moment this
process sent the command. ``check_clock`` refuses to run where that does not hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]

SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-bench-bot-token-0123456789"
ORG_KEY = "gc-org-bench-0123456789abcdef0123456789"
ADMIN = "U0BENCH01"
CHANNEL = "C0GENERAL"
NOTIFY_CHANNEL = "C0NOTIFY"

# the settings a bot process must not inherit from whoever runs the benchmark
_SCRUBBED = ("SLACK_", "GENCOVE_", "INVITE_", "DATABASE_URL", "PORT", "WATCH_", "LOG_LEVEL")


def check_clock() -> None:
    info = time.get_clock_info("monotonic")
    if sys.platform != "linux" or "CLOCK_MONOTONIC" not in info.implementation:
        raise SystemExit(
            f"bench needs a machine-wide monotonic clock (Linux); this has {info.implementation}"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED)}
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{path}" if path else str(ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    return env


# --------------------------------------------------------------------------- processes


@dataclass
class Proc:
    name: str
    process: asyncio.subprocess.Process
    log: Path
    url: str = ""

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout=15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def spawn(
    name: str, args: Sequence[str], env: Mapping[str, str], cwd: Path, *, pipe_stdout: bool
) -> Proc:
    log = cwd / f"{name}.log"
    handle = log.open("ab")
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *args,
            env=dict(env),
            cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE if pipe_stdout else handle,
            stderr=handle,
        )
    finally:
        handle.close()
    return Proc(name, process, log)


async def start_fake(name: str, module: str, cwd: Path, *args: str) -> Proc:
    """``python -m <stand-in module> --port 0 …``; waits for its ``READY <url>`` line."""
    proc = await spawn(
        name, ["-m", module, "--port", "0", *args], base_env(), cwd, pipe_stdout=True
    )
    assert proc.process.stdout is not None
    try:
        line = await asyncio.wait_for(proc.process.stdout.readline(), timeout=30)
    except TimeoutError:
        await proc.stop()
        raise RuntimeError(f"{name} did not start:\n{proc.output()}") from None
    text = line.decode().strip()
    if not text.startswith("READY "):
        await proc.stop()
        raise RuntimeError(f"{name} did not start ({text!r}):\n{proc.output()}")
    proc.url = text.removeprefix("READY ").rstrip("/")
    return proc


async def start_app(name: str, args: Sequence[str], env: Mapping[str, str], cwd: Path) -> Proc:
    """An HTTP app process (the bot or a baseline) on a free port; returns once
    ``/healthz`` answers 200. A port taken between choosing and binding it (other work on
    the machine) is retried with another, 3 times at most."""
    for _attempt in range(3):
        port = free_port()
        proc = await spawn(
            name, args, {**base_env(), **env, "PORT": str(port)}, cwd, pipe_stdout=False
        )
        proc.url = f"http://127.0.0.1:{port}"
        if await _healthy(proc):
            return proc
        await proc.stop()
        output = proc.output()
        if "address already in use" not in output and "cannot listen on port" not in output:
            raise RuntimeError(f"{name} did not start:\n{output}")
    raise RuntimeError(f"{name} found no free port:\n{proc.output()}")


async def _healthy(proc: Proc) -> bool:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        for _ in range(600):  # 30 s at most
            if proc.process.returncode is not None:
                return False
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(proc.url + "/healthz") as response:
                    if response.status == 200:
                        return True
            await asyncio.sleep(0.05)
    return False


@dataclass
class StandIn:
    """A standalone stand-in process and a session for its ``/_fake/`` control API."""

    proc: Proc
    session: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return self.proc.url

    async def get(self, path: str) -> Any:
        async with self.session.get(f"{self.url}/_fake/{path}") as response:
            return await response.json()

    async def post(self, path: str, payload: Mapping[str, Any]) -> Any:
        async with self.session.post(f"{self.url}/_fake/{path}", json=payload) as response:
            data = await response.json()
            if response.status >= 400:
                raise RuntimeError(f"{self.proc.name} /_fake/{path}: {data}")
            return data


@contextlib.asynccontextmanager
async def stand_in(name: str, module: str, cwd: Path, *args: str) -> AsyncIterator[StandIn]:
    proc = await start_fake(name, module, cwd, *args)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            yield StandIn(proc, session)
    finally:
        await proc.stop()


def slack_stand_in(cwd: Path) -> contextlib.AbstractAsyncContextManager[StandIn]:
    """``python -m invite_bot.playground.slack`` (Block Kit checked on every message)."""
    return stand_in("fake-slack", "invite_bot.playground.slack", cwd, "--bot-token", BOT_TOKEN)


def gencove_stand_in(
    cwd: Path, *, latency: float, seed: tuple[int, int] = (0, 0)
) -> contextlib.AbstractAsyncContextManager[StandIn]:
    """``python -m invite_bot.playground.gencove`` with OpenAPI validation OFF (for speed)."""
    total, pending = seed
    return stand_in(
        "fake-gencove",
        "invite_bot.playground.gencove",
        cwd,
        "--latency",
        str(latency),
        "--no-validate",
        "--org-key",
        ORG_KEY,
        "--seed-invitations",
        str(total),
        "--seed-pending",
        str(pending),
    )


def app_env(gencove_url: str, slack_url: str, database_url: str, **extra: str) -> dict[str, str]:
    """invite-bot settings pointing at the stand-ins (the baselines read the same names)."""
    from cryptography.fernet import Fernet

    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_url + "/api/",
        "GENCOVE_API_KEY": ORG_KEY,
        "GENCOVE_API_URL": gencove_url,
        "DATABASE_URL": database_url,
        "INVITE_BOT_SECRET_KEY": Fernet.generate_key().decode(),
        "INVITE_ADMINS": ADMIN,
        "INVITE_RATE_LIMIT": "off",
    }
    env.update(extra)
    return env


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM (peak RSS) of a process, in KiB, from /proc/<pid>/status."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- load


@dataclass
class Shot:
    index: int
    sent: float  # time.monotonic() just before the request
    answered: float  # time.monotonic() once the whole answer was read
    status: int  # HTTP status, 0 for a client-side failure (timeout, reset)

    @property
    def latency(self) -> float:
        return self.answered - self.sent


async def run_load(
    url: str,
    make: Callable[[int], tuple[bytes, dict[str, str]]],
    *,
    count: int,
    concurrency: int,
    time_limit: float,
    request_timeout: float = 30.0,
    pause: float = 0.0,
) -> list[Shot]:
    """POST ``count`` requests (``make(i)`` → body, headers) with ``concurrency`` in flight.

    Bounded: exactly ``count`` requests at most, and ``time_limit`` seconds for all.
    ``pause``: seconds each worker waits between two of its requests (a person's pace).
    """
    shots: list[Shot] = []
    indexes = iter(range(count))  # shared by the workers: each index is taken once
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=request_timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            for i in indexes:
                body, headers = make(i)
                sent = time.monotonic()
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
                shots.append(Shot(i, sent, time.monotonic(), status))
                if pause:
                    await asyncio.sleep(max(0.0, sent + pause - time.monotonic()))

        workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
        try:
            await asyncio.wait_for(asyncio.gather(*workers), timeout=time_limit)
        except TimeoutError:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
    return sorted(shots, key=lambda s: s.index)


# --------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:,.0f} ms"


def secs(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds:,.2f} s"
