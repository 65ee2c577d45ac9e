"""A real `python -m invite_bot serve` process against the stand-ins, for tests that
need what only the process shows: its /metrics, its log lines as printed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import (
    FakeSlack,
    SlackDelivery,
    block_action_body,
    deliver,
    slash_command_body,
)
from tests.support.harness import ADMIN, SIGNING_SECRET, bot_environment, sqlite_url, terminate

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def parse_metrics(text: str) -> tuple[set[str], Samples]:
    """(the family names declared, every sample by (name, labels))."""
    families: set[str] = set()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        families.add(family.name)
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return families, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value (0 when absent, as Prometheus reads a counter never incremented)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every sample of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, got), v in samples.items() if n == name and wanted <= got)


@dataclass
class ServedBot:
    process: asyncio.subprocess.Process
    out: Path  # what it prints (stdout)
    log: Path  # what it logs (stderr)
    url: str
    slack: FakeSlack
    session: aiohttp.ClientSession

    def output(self) -> str:
        """Everything it wrote: stdout, then stderr."""
        return self.out.read_text(errors="replace") + self.log.read_text(errors="replace")

    def log_lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()

    async def wait_for_output(self, needle: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.output():
            if self.process.returncode is not None:
                raise AssertionError(f"the bot exited:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot never printed {needle!r}:\n{self.output()}")
            await asyncio.sleep(0.05)

    async def command(self, text: str, *, channel: str = "C_GENERAL") -> SlackDelivery:
        body = slash_command_body(
            text,
            user_id=ADMIN,
            channel_id=channel,
            response_url=self.slack.new_response_url(),
            trigger_id=self.slack.new_trigger_id(),
        )
        return await deliver(self.session, f"{self.url}/slack/events", body, SIGNING_SECRET)

    async def click(self, action_id: str, **kwargs: Any) -> SlackDelivery:
        body = block_action_body(
            action_id,
            user_id=ADMIN,
            response_url=self.slack.new_response_url(),
            trigger_id=self.slack.new_trigger_id(),
            **kwargs,
        )
        return await deliver(self.session, f"{self.url}/slack/events", body, SIGNING_SECRET)

    async def scrape(self) -> tuple[str, str]:
        """GET /metrics: (its content type, its text)."""
        async with self.session.get(f"{self.url}/metrics") as response:
            assert response.status == 200
            return response.headers["Content-Type"], await response.text()

    async def samples(self) -> Samples:
        return parse_metrics((await self.scrape())[1])[1]

    async def wait_for_samples(self, predicate: Any, timeout: float = 30.0) -> Samples:
        """Scrape until `predicate(samples)` holds; the last scrape's samples."""
        deadline = time.monotonic() + timeout
        while True:
            samples = await self.samples()
            if predicate(samples):
                return samples
            if time.monotonic() > deadline:
                shown = {k: v for k, v in samples.items() if not k[0].endswith("_bucket")}
                raise AssertionError(f"metrics never got there: {shown}\n{self.output()}")
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def served_bot(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path, *args: str, **env: str
) -> AsyncIterator[ServedBot]:
    """`invite-bot serve [args]` on a free port of 127.0.0.1, stopped with SIGTERM after."""
    port = free_port()
    environment = bot_environment(gencove, slack, sqlite_url(tmp_path), PORT=str(port), **env)
    out, log = tmp_path / "serve.out", tmp_path / "serve.log"
    with out.open("wb") as stdout, log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "invite_bot", "serve", "--host", "127.0.0.1", *args,
            env={**os.environ, **environment, "PYTHONUNBUFFERED": "1"},
            cwd=tmp_path, stdout=stdout, stderr=stderr,
        )  # fmt: skip
    async with aiohttp.ClientSession() as session:
        served = ServedBot(process, out, log, f"http://127.0.0.1:{port}", slack, session)
        try:
            await served.wait_for_output("invite-bot listening on")
            yield served
        finally:
            await terminate(process)
