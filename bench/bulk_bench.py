"""(g) A bulk invite under Gencove's rate limit, (h) a bulk job killed and resumed.

The bot runs as ``python -m invite_bot serve --no-watch`` (its own process, SQLite in a
temp dir), the Slack stand-in in its own process, and the Gencove stand-in in this one
(validation off) with ``FakeGencove.limit_creates``: ``rate`` creates per second after an
initial burst, a 429 with ``Retry-After`` beyond. The same job is also run with no limit
(``rate`` None): the bot's pace must not slow down a Gencove that keeps up. A job starts
the way a person starts one: the addresses pasted in a DM to the bot (a signed
``message`` event, one address a line). It has ended when the progress message's last
version (its ``bulk_summary`` block) reaches the Slack stand-in.

The baseline, measured in the same run against the same limit: single
``/gencove invite`` commands sent one after another, each once the last one's result
message has arrived; a sample of them, its mean extrapolated to the list's size.

Every time is ``time.monotonic()`` (one clock machine-wide, see ``bench.common``); the
Gencove stand-in's wall-clock ``received`` is converted to it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import random
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import aiohttp

from bench.ack_bench import BOT_ARGS, command_maker
from bench.common import (
    ADMIN,
    CHANNEL,
    ORG_KEY,
    SIGNING_SECRET,
    Proc,
    StandIn,
    app_env,
    proc_cpu,
    slack_stand_in,
    start_app,
)
from invite_bot.config.settings import Settings
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import deliver, event_body

CREATE = "/api/v2/invitations/"
DM = "D" + ADMIN[1:]  # the admin's DM with the bot, as the Slack stand-in names it
RATE = 10.0  # creates per second the Gencove stand-in allows
POLL = 0.25  # seconds between looks at the Slack stand-in
DEFAULT_LEASE = float(Settings.model_fields["invite_job_lease"].default)


class Attempt(NamedTuple):
    """One create request as the Gencove stand-in saw it (times on this monotonic clock)."""

    email: str
    start: float
    end: float  # start + the stand-in's time to answer
    status: int | None  # None: never answered (the connection went first)


@dataclass(frozen=True)
class Creates:
    """The create requests of a run, and what they say about where its time went."""

    attempts: list[Attempt]
    retry_after: float  # what the stand-in's 429s said

    @property
    def created(self) -> int:
        return sum(1 for a in self.attempts if a.status == 201)

    @property
    def throttled(self) -> int:
        return sum(1 for a in self.attempts if a.status == 429)

    @property
    def other(self) -> dict[str, int]:
        counts = Counter(str(a.status) for a in self.attempts if a.status not in (201, 429))
        return dict(sorted(counts.items()))

    @property
    def first(self) -> float:
        return min((a.start for a in self.attempts), default=math.nan)

    @property
    def last_created(self) -> float:
        return max((a.end for a in self.attempts if a.status == 201), default=math.nan)

    def retry_gaps(self) -> list[float]:
        """Per 429: the time from its answer to the next try of the same address."""
        by_email: dict[str, list[Attempt]] = {}
        for attempt in sorted(self.attempts, key=lambda a: a.start):
            by_email.setdefault(attempt.email, []).append(attempt)
        return [
            later.start - earlier.end
            for tries in by_email.values()
            for earlier, later in itertools.pairwise(tries)
            if earlier.status == 429
        ]

    def idle(self) -> tuple[float, int]:
        """Seconds between the first create and the last with no create in flight at
        Gencove, and how many such gaps were over 0.5 s."""
        spans = sorted((a.start, a.end) for a in self.attempts)
        if not spans:
            return math.nan, 0
        idle, long_gaps, reach = 0.0, 0, spans[0][1]
        for start, end in spans[1:]:
            if start > reach:
                idle += start - reach
                long_gaps += start - reach > 0.5
            reach = max(reach, end)
        return idle, long_gaps

    def per_second(self) -> list[int]:
        """201s per whole second from the first create (the achieved pace)."""
        ends = [a.end - self.first for a in self.attempts if a.status == 201]
        if not ends:
            return []
        buckets = Counter(int(e) for e in ends)
        return [buckets.get(i, 0) for i in range(int(max(ends)) + 1)]


@dataclass
class Tally:
    """Invitations at the stand-in for the job's addresses."""

    invitations: int
    duplicates: int  # addresses with more than one invitation
    lost: int  # addresses with none


@dataclass
class BulkRun:
    count: int
    rate: float | None  # None: Gencove without a limit
    burst: int
    wall: float  # DM sent → the final progress message at Slack
    to_first_create: float
    after_last_create: float  # the last 201 → the final message
    cpu: float  # the bot's CPU seconds from the DM to the report
    tally: Tally
    creates: Creates
    summary: str  # the final message's summary line
    progress_messages: int
    versions: int  # versions of the progress message
    log_errors: int

    @property
    def bound(self) -> float:
        """The wall time Gencove's limit allows at best (NaN without a limit)."""
        if self.rate is None:
            return math.nan
        return max(self.count - self.burst, 0) / self.rate

    @property
    def per_invitation(self) -> float:
        """Create requests sent per invitation made."""
        return len(self.creates.attempts) / max(1, self.creates.created)


@dataclass
class OneByOne:
    sample: int
    count: int  # what the sample is extrapolated to
    latencies: list[float]  # command sent → its result message at Slack
    wall: float  # the sample's wall time, polling included
    cpu: float
    tally: Tally
    throttled: int

    @property
    def extrapolated(self) -> float:
        return statistics.fmean(self.latencies) * self.count if self.latencies else math.nan


@dataclass
class KillRun:
    count: int
    seed: int
    kill_after: float  # DM sent → SIGKILL
    invited_at_kill: int  # invitations at the stand-in
    recorded_at_kill: int  # addresses with an outcome in the bot's database
    ready_after: float  # restart → /healthz answers
    first_create_after: float  # restart → the first create reaching Gencove
    end_after: float  # restart → the final progress message
    lease: float
    tally: Tally
    creates: Creates
    summary: str
    progress_messages: int
    log_errors: int = 0
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- pieces


def emails(count: int, prefix: str) -> list[str]:
    return [f"{prefix}{i:04d}@lab.org" for i in range(count)]


def dm_event(text: str) -> bytes:
    """What Slack sends when the admin pastes ``text`` in their DM with the bot."""
    return event_body(
        {
            "type": "message",
            "channel": DM,
            "channel_type": "im",
            "user": ADMIN,
            "text": text,
            "ts": f"{time.time():.6f}",
        }
    )


async def send_dm(proc: Proc, text: str) -> float:
    """Send the DM; returns when it was sent. The bot must acknowledge it (200)."""
    sent = time.monotonic()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        answer = await deliver(session, proc.url + "/slack/events", dm_event(text), SIGNING_SECRET)
    if answer.status != 200:
        raise RuntimeError(f"the bot answered the DM with {answer.status}: {answer.text}")
    return sent


def _block_ids(blocks: Any) -> set[str]:
    return {str(b.get("block_id")) for b in blocks or [] if isinstance(b, dict)}


def _progress(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if _block_ids(m.get("blocks")) & {"bulk_progress", "bulk_summary"}]


def _summary_text(blocks: Any) -> str:
    for block in blocks or []:
        if isinstance(block, dict) and block.get("block_id") == "bulk_summary":
            text = block.get("text")
            return str(text.get("text") if isinstance(text, dict) else json.dumps(block))
    return ""


@dataclass
class Ending:
    at: float  # when the final version reached the Slack stand-in
    summary: str
    progress_messages: int
    versions: int


async def job_end(slack: StandIn, deadline: float) -> Ending | None:
    """Wait (bounded) for the progress message's final version."""
    while time.monotonic() < deadline:
        messages = _progress(await slack.get("messages"))
        for message in messages:
            versions = message.get("history") or []
            final = [v for v in versions if "bulk_summary" in _block_ids(v.get("blocks"))]
            if final:
                return Ending(
                    float(final[0]["time"]),
                    _summary_text(final[0].get("blocks")),
                    len(messages),
                    len(versions),
                )
        await asyncio.sleep(POLL)
    return None


async def report_uploaded(slack: StandIn, timeout: float = 15.0) -> bool:
    """Whether the bot's report (a CSV in the thread) arrived, waiting up to ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(f.get("by_bot") for f in await slack.get("files")):
            return True
        await asyncio.sleep(POLL)
    return False


def creates_of(gencove: FakeGencove, wall_to_monotonic: float, prefix: str) -> Creates:
    attempts = []
    for request in list(gencove.requests):
        if request.method != "POST" or request.path != CREATE:
            continue
        email = str(request.json.get("email")) if isinstance(request.json, dict) else ""
        if not email.startswith(prefix):
            continue
        start = request.received.timestamp() - wall_to_monotonic
        attempts.append(Attempt(email, start, start + (request.seconds or 0.0), request.status))
    return Creates(attempts, retry_after=1.0)


def tally_of(gencove: FakeGencove, wanted: Sequence[str]) -> Tally:
    per_email = Counter(inv.email for inv in gencove.invitations.values())
    return Tally(
        invitations=sum(per_email[e] for e in wanted),
        duplicates=sum(1 for e in wanted if per_email[e] > 1),
        lost=sum(1 for e in wanted if per_email[e] == 0),
    )


def log_errors(*procs: Proc) -> int:
    return sum(
        1
        for proc in procs
        for line in proc.output().splitlines()
        if "ERROR" in line or "Traceback" in line
    )


def limited_gencove(rate: float | None, burst: int) -> FakeGencove:
    """The Gencove stand-in allowing `rate` creates a second (None: no limit)."""
    gencove = FakeGencove(validate=False, org_api_key=ORG_KEY)
    if rate is not None:
        gencove.limit_creates(rate, burst=burst)
    return gencove


def time_limit(count: int, rate: float | None) -> float:
    """How long a run may take before it is given up (bounded, generous)."""
    return count / (rate or 100.0) * 3 + 120


# --------------------------------------------------------------------------- (g)


async def bulk_run(*, count: int, rate: float | None, burst: int) -> BulkRun:
    """``count`` addresses pasted in a DM; the bot invites them against the limit (None:
    Gencove without one)."""
    wall_to_monotonic = time.time() - time.monotonic()
    wanted = emails(count, "bulk")
    with tempfile.TemporaryDirectory(prefix="bench-bulk-") as tmp:
        work = Path(tmp)
        async with limited_gencove(rate, burst) as gencove, slack_stand_in(work) as slack:
            env = app_env(gencove.url, slack.url, f"sqlite+aiosqlite:///{work / 'bot.sqlite3'}")
            proc = await start_app("bot", BOT_ARGS, env, work)
            try:
                cpu_before = proc_cpu(proc.pid)
                sent = await send_dm(proc, "\n".join(wanted))
                ending = await job_end(slack, sent + time_limit(count, rate))
                await report_uploaded(slack)
                cpu = proc_cpu(proc.pid) - cpu_before
            finally:
                await proc.stop()
            if ending is None:
                raise RuntimeError(f"the bulk job did not end:\n{proc.output()[-4000:]}")
            creates = creates_of(gencove, wall_to_monotonic, "bulk")
            tally = tally_of(gencove, wanted)
    return BulkRun(
        count=count,
        rate=rate,
        burst=burst,
        wall=ending.at - sent,
        to_first_create=creates.first - sent,
        after_last_create=ending.at - creates.last_created,
        cpu=cpu,
        tally=tally,
        creates=creates,
        summary=ending.summary,
        progress_messages=ending.progress_messages,
        versions=ending.versions,
        log_errors=log_errors(proc),
    )


async def one_by_one(*, sample: int, count: int, rate: float, burst: int) -> OneByOne:
    """``sample`` single ``/gencove invite`` commands, each once the last one's result
    message is at Slack; the same limit, a fresh stand-in and bot process."""
    wanted = emails(sample, "single")
    with tempfile.TemporaryDirectory(prefix="bench-single-") as tmp:
        work = Path(tmp)
        async with limited_gencove(rate, burst) as gencove, slack_stand_in(work) as slack:
            env = app_env(gencove.url, slack.url, f"sqlite+aiosqlite:///{work / 'bot.sqlite3'}")
            proc = await start_app("bot", BOT_ARGS, env, work)
            make = command_maker(lambda i: f"invite {wanted[i]}", slack.url)
            latencies: list[float] = []
            try:
                cpu_before, started = proc_cpu(proc.pid), time.monotonic()
                async with aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=30)
                ) as session:
                    seen = 0
                    for i in range(sample):
                        body, headers = make(i)
                        sent = time.monotonic()
                        async with session.post(
                            proc.url + "/slack/events", data=body, headers=headers
                        ) as response:
                            await response.read()
                        arrived, seen = await _result_of(slack, wanted[i], seen, sent + 60)
                        if arrived is None:
                            break
                        latencies.append(arrived - sent)
                wall = time.monotonic() - started
                cpu = proc_cpu(proc.pid) - cpu_before
            finally:
                await proc.stop()
            throttled = sum(
                1 for a in creates_of(gencove, 0.0, "single").attempts if a.status == 429
            )
            tally = tally_of(gencove, wanted)
    return OneByOne(sample, count, latencies, wall, cpu, tally, throttled)


async def _result_of(
    slack: StandIn, email: str, seen: int, deadline: float
) -> tuple[float | None, int]:
    """When the result message naming ``email`` reached Slack (calls from ``seen`` on)."""
    while time.monotonic() < deadline:
        calls = await slack.get("calls?method=chat.postMessage")
        for index in range(seen, len(calls)):
            call = calls[index]
            args = call.get("args")
            ours = isinstance(args, dict) and args.get("channel") == CHANNEL
            if call.get("ok") and ours and email in json.dumps(args):
                return float(call["time"]), index + 1
        await asyncio.sleep(0.01)
    return None, seen


# --------------------------------------------------------------------------- (h)


def recorded(database: Path) -> int:
    """Addresses the bot had recorded an outcome for (read after it was killed)."""
    with sqlite3.connect(database) as connection:
        row = connection.execute(
            "SELECT count(*) FROM invite_job_items WHERE outcome IS NOT NULL"
        ).fetchone()
    return int(row[0])


async def kill_and_resume(*, count: int, rate: float, burst: int, seed: int) -> KillRun:
    """Start a ``count``-address job, SIGKILL the bot at a seeded random moment of it,
    start the bot again on the same database, wait for the job's end."""
    wall_to_monotonic = time.time() - time.monotonic()
    wanted = emails(count, "kill")
    expected = max(count - burst, 0) / rate + 1.0  # the job's length, about
    kill_after = random.Random(seed).uniform(0.05, 0.95) * expected
    with tempfile.TemporaryDirectory(prefix="bench-kill-") as tmp:
        work = Path(tmp)
        database = work / "bot.sqlite3"
        async with limited_gencove(rate, burst) as gencove, slack_stand_in(work) as slack:
            env = app_env(gencove.url, slack.url, f"sqlite+aiosqlite:///{database}")
            first = await start_app("bot", BOT_ARGS, env, work)
            second: Proc | None = None
            try:
                sent = await send_dm(first, "\n".join(wanted))
                await asyncio.sleep(max(0.0, sent + kill_after - time.monotonic()))
                first.process.kill()  # SIGKILL
                await first.process.wait()
                killed = time.monotonic()
                invited_at_kill = tally_of(gencove, wanted).invitations
                done_at_kill = recorded(database)
                restart = time.monotonic()
                second = await start_app("bot-restarted", BOT_ARGS, env, work)
                ready = time.monotonic()
                ending = await job_end(slack, restart + time_limit(count, rate))
                if ending is not None:
                    await report_uploaded(slack)
            finally:
                await first.stop()
                if second is not None:
                    await second.stop()
            if ending is None:
                said = second.output()[-4000:] if second else ""
                raise RuntimeError(f"the resumed job did not end:\n{said}")
            creates = creates_of(gencove, wall_to_monotonic, "kill")
            after = [a.start for a in creates.attempts if a.start > killed]
            tally = tally_of(gencove, wanted)
            errors = log_errors(first, second)
    return KillRun(
        count=count,
        seed=seed,
        kill_after=killed - sent,
        invited_at_kill=invited_at_kill,
        recorded_at_kill=done_at_kill,
        ready_after=ready - restart,
        first_create_after=min(after, default=math.nan) - restart,
        end_after=ending.at - restart,
        lease=DEFAULT_LEASE,
        tally=tally,
        creates=creates,
        summary=ending.summary,
        progress_messages=ending.progress_messages,
        log_errors=errors,
    )
