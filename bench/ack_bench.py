"""(a) Ack under a slow Gencove, (b) throughput, (d) memory: app processes under load.

Each app runs in its own process (``python -m invite_bot serve --no-watch`` or a
baseline), FakeSlack in another (it checks Block Kit on every message, which costs CPU
the load generator should not share), and FakeGencove here (validation OFF; it only
sleeps ``latency`` and answers), next to the load generator.

Result-message latency = the FakeSlack arrival time of the ``chat.postMessage`` that
names the address minus the moment the command was sent: both ``time.monotonic()``, one
clock machine-wide on Linux (see ``bench.common``). Where the time goes is split at the
moment the create reached FakeGencove (its ``received``, wall clock, converted to this
process's monotonic clock).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    ADMIN,
    BOT_TOKEN,
    CHANNEL,
    ORG_KEY,
    SIGNING_SECRET,
    Proc,
    Shot,
    StandIn,
    app_env,
    proc_cpu,
    proc_status,
    run_load,
    slack_stand_in,
    start_app,
)
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import sign, slash_command_body

EMAIL = re.compile(r"(?<![\w.+-])user\d+@lab\.org")
BOT_ARGS = ["-m", "invite_bot", "serve", "--host", "127.0.0.1", "--no-watch"]
BASELINE_ARGS = ["-m", "bench.baseline_app"]
BARE_ARGS = ["-m", "bench.bare_app"]
WARMUP = 20


def command_maker(
    text: Callable[[int], str], slack_url: str
) -> Callable[[int], tuple[bytes, dict[str, str]]]:
    """Signed ``/gencove`` slash commands, signed at send time, as Slack does."""

    def make(i: int) -> tuple[bytes, dict[str, str]]:
        body = slash_command_body(
            text(i),
            user_id=ADMIN,
            channel_id=CHANNEL,
            response_url=f"{slack_url}/response/bench-{i}",
        )
        return body, sign(body, SIGNING_SECRET)

    return make


@dataclass
class AckRun:
    label: str
    count: int
    latency: float  # the stand-in's Gencove latency
    shots: list[Shot]
    result_latency: list[float]  # per command whose message arrived
    to_gencove: list[float]  # command sent -> its create reached Gencove
    after_gencove: list[float]  # Gencove's answer (arrival + latency) -> message at Slack
    span: float  # first command sent -> last message arrived
    invitations: int  # invitations the Gencove stand-in holds
    create_requests: int  # POST /api/v2/invitations/ it received
    messages: int  # ok chat.postMessage calls in the channel
    lost: int  # commands missing an invitation or a message
    doubled: int  # commands with two invitations or two messages
    error_replies: int  # response_url posts (the bot's error path)
    idle_rss_kib: int
    peak_rss_kib: int
    cpu: float  # CPU seconds the app process used from the first command to the last message
    log_errors: int  # ERROR / Traceback lines in the app's log

    @property
    def acks(self) -> list[float]:
        return [s.latency for s in self.shots if s.status == 200]

    @property
    def over_3s(self) -> int:
        return sum(1 for s in self.shots if s.status != 200 or s.latency > 3.0)

    @property
    def overhead(self) -> list[float]:
        return [v - self.latency for v in self.result_latency]


async def _warm_up(proc: Proc, slack_url: str) -> None:
    make = command_maker(lambda i: "help", slack_url)
    await run_load(proc.url + "/slack/events", make, count=WARMUP, concurrency=5, time_limit=30)


async def _collect(
    slack: StandIn, count: int, deadline: float
) -> tuple[dict[str, list[float]], int]:
    """Wait (bounded) for ``count`` messages, then a little longer to catch doubles."""
    reached: float | None = None
    while time.monotonic() < deadline:
        calls = await slack.get("calls?method=chat.postMessage")
        if sum(1 for c in calls if c.get("ok")) >= count and reached is None:
            reached = time.monotonic()
        if reached is not None and time.monotonic() - reached >= 2.0:
            break
        await asyncio.sleep(0.5)
    arrivals: dict[str, list[float]] = {}
    for call in await slack.get("calls?method=chat.postMessage"):
        args = call.get("args")
        if not call.get("ok") or not isinstance(args, dict) or args.get("channel") != CHANNEL:
            continue
        for email in set(EMAIL.findall(json.dumps(args))):
            arrivals.setdefault(email, []).append(float(call["time"]))
    replies = len(await slack.get("calls?method=response_url"))
    return arrivals, replies


async def ack_run(
    kind: str,
    label: str,
    *,
    count: int,
    concurrency: int,
    latency: float,
    extra_env: dict[str, str] | None = None,
    result_timeout: float = 120.0,
    pause: float = 0.0,
) -> AckRun:
    """``count`` times ``/gencove invite userN@lab.org`` against the bot or the baseline."""
    wall_to_monotonic = time.time() - time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as tmp:
        work = Path(tmp)
        async with (
            FakeGencove(latency=latency, validate=False, org_api_key=ORG_KEY) as gencove,
            slack_stand_in(work) as slack,
        ):
            env = app_env(gencove.url, slack.url, f"sqlite+aiosqlite:///{work / 'bot.sqlite3'}")
            env.update(extra_env or {})
            args = BOT_ARGS if kind == "bot" else BASELINE_ARGS
            proc = await start_app(kind, args, env, work)
            try:
                await asyncio.sleep(0.5)
                idle = proc_status(proc.pid)["VmRSS"]
                await _warm_up(proc, slack.url)
                make = command_maker(lambda i: f"invite user{i}@lab.org", slack.url)
                cpu_before = proc_cpu(proc.pid)
                shots = await run_load(
                    proc.url + "/slack/events",
                    make,
                    count=count,
                    concurrency=concurrency,
                    time_limit=result_timeout,
                    pause=pause,
                )
                deadline = shots[0].sent + result_timeout if shots else time.monotonic()
                arrivals, replies = await _collect(slack, count, deadline)
                peak = proc_status(proc.pid)["VmHWM"]
                cpu = proc_cpu(proc.pid) - cpu_before
            finally:
                await proc.stop()
            output = proc.output()
            per_email = Counter(inv.email for inv in gencove.invitations.values())
            reached: dict[str, float] = {}
            for request in gencove.requests:
                if request.method == "POST" and isinstance(request.json, dict):
                    email = str(request.json.get("email"))
                    at = request.received.timestamp() - wall_to_monotonic
                    reached[email] = min(at, reached.get(email, at))
            create_requests = gencove.count("POST", "/api/v2/invitations/")
    result_latency: list[float] = []
    to_gencove: list[float] = []
    after_gencove: list[float] = []
    lost = doubled = 0
    for shot in shots:
        email = f"user{shot.index}@lab.org"
        times = arrivals.get(email, [])
        if times:
            result_latency.append(min(times) - shot.sent)
        if email in reached:
            to_gencove.append(reached[email] - shot.sent)
            if times:
                after_gencove.append(min(times) - reached[email] - latency)
        if not times or per_email[email] == 0:
            lost += 1
        if len(times) > 1 or per_email[email] > 1:
            doubled += 1
    lost += count - len(shots)  # commands the bounded load never sent
    last = max((max(v) for v in arrivals.values()), default=math.nan)
    return AckRun(
        label=label,
        count=count,
        latency=latency,
        shots=shots,
        result_latency=result_latency,
        to_gencove=to_gencove,
        after_gencove=after_gencove,
        span=last - shots[0].sent if shots else math.nan,
        invitations=sum(per_email.values()),
        create_requests=create_requests,
        messages=sum(len(v) for v in arrivals.values()),
        lost=lost,
        doubled=doubled,
        error_replies=replies,
        idle_rss_kib=idle,
        peak_rss_kib=peak,
        cpu=cpu,
        log_errors=sum(1 for line in output.splitlines() if "ERROR" in line or "Traceback" in line),
    )


@dataclass
class Rate:
    per_second: float  # acknowledged (HTTP 200) requests per second
    failures: int  # requests not acknowledged
    app_cpu: float  # the app's CPU seconds / elapsed (1.0 = one core busy)
    client_cpu: float  # the load generator's (this process's) CPU seconds / elapsed

    @property
    def cpu_per_request(self) -> float:
        """The app's CPU seconds per acknowledged request: barely moved by other load."""
        return self.app_cpu / self.per_second if self.per_second else float("nan")


@dataclass
class Throughput:
    bot: list[Rate]  # one per round
    bare: list[Rate]


async def throughput(*, count: int, concurrency: int, rounds: int, warmup: int) -> Throughput:
    """``/gencove help`` against the bot and a bare Bolt app, alternating rounds.

    Bodies are built and signed before the clock starts, so the generator spends its time
    on HTTP only. Both apps run side by side (idle but for the one being measured). The
    CPU both sides used is recorded, to tell an app-bound figure from a client-bound one.
    """
    result = Throughput([], [])
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp:
        work = Path(tmp)
        async with (
            FakeGencove(validate=False, org_api_key=ORG_KEY) as gencove,
            slack_stand_in(work) as slack,
        ):
            # the Slack stand-in answers the bot's start-up auth.test; `help` never calls Slack
            env = app_env(gencove.url, slack.url, f"sqlite+aiosqlite:///{work / 'bot.sqlite3'}")
            bot = await start_app("bot", BOT_ARGS, env, work)
            bare = await start_app(
                "bare",
                BARE_ARGS,
                {"SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_BOT_TOKEN": BOT_TOKEN},
                work,
            )
            try:
                make = command_maker(lambda i: "help", slack.url)
                signed = [make(i) for i in range(count)]

                async def measure(proc: Proc, n: int) -> Rate:
                    app_cpu, client_cpu = proc_cpu(proc.pid), time.process_time()
                    started = time.monotonic()
                    shots = await run_load(
                        proc.url + "/slack/events",
                        lambda i: signed[i],
                        count=n,
                        concurrency=concurrency,
                        time_limit=120,
                    )
                    elapsed = time.monotonic() - started
                    ok = sum(1 for s in shots if s.status == 200)
                    return Rate(
                        ok / elapsed,
                        n - ok,
                        (proc_cpu(proc.pid) - app_cpu) / elapsed,
                        (time.process_time() - client_cpu) / elapsed,
                    )

                await measure(bot, warmup)
                await measure(bare, warmup)
                for _ in range(rounds):
                    result.bot.append(await measure(bot, count))
                    result.bare.append(await measure(bare, count))
            finally:
                await bot.stop()
                await bare.stop()
    return result


@dataclass
class Burst:
    """Every request in flight at once: how long acks take, and what the watcher felt."""

    label: str
    latencies: list[float]  # seconds, acknowledged requests
    failures: int  # not acknowledged (not 200)
    lease_losses: int  # "watcher lost its lease" lines in the app's log (bot only)


async def burst(*, count: int, watch_interval: float) -> list[Burst]:
    """``count`` concurrent ``/gencove help`` against the bot (its watcher running, polling
    every ``watch_interval`` s) and the bare Bolt app: ack latencies and lease losses."""
    results: list[Burst] = []
    with tempfile.TemporaryDirectory(prefix="bench-burst-") as tmp:
        work = Path(tmp)
        async with (
            FakeGencove(validate=False, org_api_key=ORG_KEY) as gencove,
            slack_stand_in(work) as slack,
        ):
            env = app_env(gencove.url, slack.url, f"sqlite+aiosqlite:///{work / 'bot.sqlite3'}")
            env["WATCH_INTERVAL"] = str(watch_interval)
            watching = [arg for arg in BOT_ARGS if arg != "--no-watch"]
            make = command_maker(lambda i: "help", slack.url)
            signed = [make(i) for i in range(count)]
            for label, args, app_env_ in (
                ("invite-bot (watcher on)", watching, env),
                (
                    "bare Bolt AsyncApp",
                    BARE_ARGS,
                    {"SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_BOT_TOKEN": BOT_TOKEN},
                ),
            ):
                proc = await start_app(label.split()[0], args, app_env_, work)
                try:
                    await asyncio.sleep(3 * watch_interval)  # the watcher leads and polls
                    shots = await run_load(
                        proc.url + "/slack/events",
                        lambda i: signed[i],
                        count=count,
                        concurrency=count,
                        time_limit=120,
                    )
                    await asyncio.sleep(2 * watch_interval)
                finally:
                    await proc.stop()
                results.append(
                    Burst(
                        label,
                        [s.latency for s in shots if s.status == 200],
                        sum(1 for s in shots if s.status != 200) + count - len(shots),
                        proc.output().count("watcher lost its lease"),
                    )
                )
    return results
