"""Real `python -m invite_bot` processes for tests: `serve` (BotProcess), `watch`
(WatcherProcess) and any other command run to its end (`run_cli`)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


async def start_bot_process(
    env: dict[str, str],
    tmp_path: Path,
    *args: str,
    port: int | None = None,
    preexec: Callable[[], object] | None = None,
) -> BotProcess:
    """`serve` on a free loopback port, returned once /healthz answers 200; `preexec`
    runs in the child before it starts (e.g. to lower its descriptor limit)."""
    port = port or _free_port()
    log = tmp_path / f"bot-{port}.log"
    full_env = {**os.environ, **env, "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    handle = log.open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "invite_bot",
        "serve",
        "--host",
        "127.0.0.1",
        *args,
        env=full_env,
        cwd=tmp_path,
        stdout=handle,
        stderr=handle,
        preexec_fn=preexec,
    )
    bot = BotProcess(process, f"http://127.0.0.1:{port}", log)
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            if process.returncode is not None:
                raise AssertionError(f"bot exited early:\n{bot.output()}")
            try:
                async with session.get(bot.url + "/healthz") as response:
                    if response.status == 200:
                        return bot
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"bot did not start:\n{bot.output()}")


async def stop_bot_process(bot: BotProcess, sig: int = signal.SIGTERM) -> None:
    if bot.process.returncode is None:
        bot.process.send_signal(sig)
        try:
            await asyncio.wait_for(bot.process.wait(), timeout=15)
        except TimeoutError:
            bot.process.kill()
            await bot.process.wait()


@dataclass
class WatcherProcess:
    """One `invite-bot watch` process; its stdout and stderr go to `log`."""

    name: str
    process: asyncio.subprocess.Process
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def wait_for_output(self, needle: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.output():
            if self.process.returncode is not None:
                raise AssertionError(f"{self.name} exited:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} never logged {needle!r}:\n{self.output()}")
            await asyncio.sleep(0.02)

    async def kill(self) -> None:
        """SIGKILL: no cleanup, no lease release, whatever was in flight stays there."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout=10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        assert self.process.returncode is not None
        return self.process.returncode


async def start_watcher(
    env: dict[str, str], tmp_path: Path, name: str, *args: str
) -> WatcherProcess:
    """`invite-bot watch [args]`, returned once it says it runs."""
    log = tmp_path / f"{name}.log"
    with log.open("wb") as handle:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "invite_bot",
            "watch",
            *args,
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            cwd=tmp_path,
            stdout=handle,
            stderr=handle,
        )
    watcher = WatcherProcess(name, process, log)
    await watcher.wait_for_output("invite-bot watcher running")
    return watcher


async def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GENCOVE_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "invite_bot",
        *args,
        env={**clean, **env},
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode()
