"""(d) Memory at rest: the idle RSS of ``invite-bot serve`` beside a bare Bolt app, and why.

python -m bench.memory            # idle VmRSS / VmHWM, the modules, the cost per package
python -m bench.memory --trace    # also what start-up allocated beyond imports (tracemalloc)

Each app starts the way ``bench.ack_bench`` starts it (its own process, the Slack stand-in
in another, FakeGencove here, SQLite in a temp dir) and is read once it is idle: VmRSS and
VmHWM from /proc/<pid>/status. ``serve`` is measured on a fresh database (it migrates at
start) and on one already at head (a restart, the usual case). The modules come from a
second run under ``bench._probe``; their cost is replayed in a fresh interpreter, one
top-level package after another (cumulative: a package pays for what it pulls in first).
The processes inherit this one's environment: with PYTHONDONTWRITEBYTECODE=1 every start
compiles invite_bot's modules, which leaves serve about 0.7 MiB higher than an installed
bot (bytecode written once) shows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import (
    ORG_KEY,
    app_env,
    base_env,
    proc_status,
    slack_stand_in,
    spawn,
    start_app,
)
from bench.common import Proc as Proc
from invite_bot.playground.gencove import FakeGencove

SERVE = ["invite_bot", "serve", "--host", "127.0.0.1", "--no-watch"]
SERVE_WATCHING = ["invite_bot", "serve", "--host", "127.0.0.1"]
BARE = ["bench.bare_app"]
# What serve imports before it starts (tracemalloc starts after these, see bench._probe).
PRELOAD = ("invite_bot.__main__", "invite_bot.app", "invite_bot.slack.http")
# Modules a serve process on SQLite with no linked key should not hold (issue 14).
WATCHED = (
    "alembic",
    "mako",
    "pygments",
    "cryptography",
    "asyncpg",
    "sqlalchemy.dialects.postgresql",
    "sqlalchemy.orm",
    "invite_bot.playground",
    "pydantic_settings",
    "prometheus_client",
)

# Imports the modules given on stdin package by package; prints VmRSS (KiB) after each.
_REPLAY = """
import importlib, json, sys
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
steps = [("python", rss())]
for package, names in json.load(sys.stdin):
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:
            pass
    steps.append((package, rss()))
print(json.dumps(steps))
"""


@dataclass(frozen=True)
class Idle:
    label: str
    rss_kib: int
    hwm_kib: int
    threads: int


def threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


async def settled(pid: int, *, least: float = 1.0, most: float = 6.0) -> dict[str, int]:
    """/proc status once VmRSS has stopped moving (two readings 0.5 s apart, ≤ 64 KiB)."""
    await asyncio.sleep(least)
    last = proc_status(pid)
    waited = least
    while waited < most:
        await asyncio.sleep(0.5)
        waited += 0.5
        now = proc_status(pid)
        if abs(now["VmRSS"] - last["VmRSS"]) <= 64:
            return now
        last = now
    return last


async def migrate(env: dict[str, str], work: Path) -> None:
    proc = await spawn(
        "migrate", ["-m", "invite_bot", "migrate"], base_env() | env, work, pipe_stdout=False
    )
    if await proc.process.wait() != 0:
        raise RuntimeError(f"invite-bot migrate failed:\n{proc.output()}")


async def idle(label: str, module_args: Sequence[str], env: dict[str, str], work: Path) -> Idle:
    proc = await start_app(label.split()[0], ["-m", *module_args], env, work)
    try:
        status = await settled(proc.pid)
        count = threads(proc.pid)
    finally:
        await proc.stop()
    return Idle(label, status["VmRSS"], status["VmHWM"], count)


async def probe(
    module_args: Sequence[str], env: dict[str, str], work: Path, *, trace: bool
) -> dict[str, Any]:
    """What the process holds once idle (see ``bench._probe``)."""
    out = work / f"probe-{module_args[0]}.json"
    extra = {"BENCH_TRACE": "25", "BENCH_PRELOAD": ",".join(PRELOAD)} if trace else {}
    proc = await start_app(
        f"probe-{module_args[0]}", ["-m", "bench._probe", str(out), *module_args], env | extra, work
    )
    try:
        await settled(proc.pid)
        proc.process.send_signal(signal.SIGUSR1)
        for _ in range(600):
            if out.exists() and out.stat().st_size:
                await asyncio.sleep(0.2)  # the write is one json.dump: let it finish
                break
            await asyncio.sleep(0.1)
    finally:
        await proc.stop()
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def replay(modules: Sequence[str], baseline: Sequence[str]) -> list[tuple[str, int]]:
    """VmRSS after the modules ``baseline`` (the bare app) holds, then after each further
    package of ``modules``: the standard library's, each third-party one, invite_bot's
    subpackages last."""
    groups: dict[str, list[str]] = {"bare app's modules": list(baseline)}
    for name in modules:
        top = name.split(".")[0]
        if name in baseline or name == "__main__" or top.startswith("__") or top == "bench":
            continue
        if top == "invite_bot":
            key = ".".join(name.split(".")[:2])
        elif top in sys.stdlib_module_names or top.startswith("_"):
            key = "more of the standard library"
        else:
            key = top
        groups.setdefault(key, []).append(name)
    order = sorted(groups, key=lambda k: k.startswith("invite_bot"))
    payload = json.dumps([(k, groups[k]) for k in order])
    done = subprocess.run(  # noqa: S603 (this interpreter, this file's script)
        [sys.executable, "-c", _REPLAY],
        input=payload,
        capture_output=True,
        text=True,
        env=base_env(),
        check=True,
        timeout=120,
    )
    return [(name, int(kib)) for name, kib in json.loads(done.stdout)]


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def report(idles: Sequence[Idle], serve: dict[str, Any], bare: dict[str, Any]) -> list[str]:
    lines = ["## d. Memory at rest (idle after start-up)", ""]
    lines += ["| process | VmRSS | VmHWM | threads |", "|---|---|---|---|"]
    lines += [f"| {i.label} | {mib(i.rss_kib)} | {mib(i.hwm_kib)} | {i.threads} |" for i in idles]
    held = set(serve["modules"])
    lines += [
        "",
        "serve holds: "
        + ", ".join(
            f"{name} {'YES' if any(m == name or m.startswith(name + '.') for m in held) else 'no'}"
            for name in WATCHED
        ),
    ]
    theirs = set(bare["modules"])
    extra: dict[str, int] = {}
    for name in serve["modules"]:
        if name not in theirs:
            extra[name.split(".")[0]] = extra.get(name.split(".")[0], 0) + 1
    lines += [
        "",
        f"modules serve loads beyond the bare app ({sum(extra.values())}): "
        + ", ".join(
            f"{top} {count}" for top, count in sorted(extra.items(), key=lambda kv: -kv[1])
        ),
    ]
    steps = replay(serve["modules"], bare["modules"])
    lines += [
        "",
        "serve's modules replayed in a fresh interpreter, the bare app's first (VmRSS):",
        "",
    ]
    lines += ["| after | VmRSS | + |", "|---|---|---|"]
    before = steps[0][1]
    for name, kib in steps:
        lines.append(f"| {name} | {mib(kib)} | {mib(kib - before)} |")
        before = kib
    allocations = serve.get("allocations")
    if allocations:
        lines += [
            "",
            f"tracemalloc at idle, live since {', '.join(PRELOAD)} were imported: "
            f"{mib(allocations['import_bytes'] / 1024)} by later imports, "
            f"{mib(allocations['other_bytes'] / 1024)} by everything else; "
            "the largest of the rest:",
            "",
            "| KiB | blocks | where |",
            "|---|---|---|",
        ]
        lines += [
            f"| {size / 1024:,.0f} | {count} | {where} |"
            for size, count, where in allocations["top"]
        ]
    return [*lines, ""]


async def run(trace: bool) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        work = Path(tmp)
        async with (
            FakeGencove(validate=False, org_api_key=ORG_KEY) as gencove,
            slack_stand_in(work) as slack,
        ):

            def env(name: str) -> dict[str, str]:
                return app_env(gencove.url, slack.url, f"sqlite+aiosqlite:///{work / name}")

            idles = [await idle("bare Bolt AsyncApp", BARE, env("bare.sqlite3"), work)]
            idles.append(
                await idle("serve --no-watch, fresh database", SERVE, env("fresh.sqlite3"), work)
            )
            await migrate(env("bot.sqlite3"), work)
            idles.append(
                await idle("serve --no-watch, database at head", SERVE, env("bot.sqlite3"), work)
            )
            idles.append(
                await idle(
                    "serve (watcher on), database at head", SERVE_WATCHING, env("bot.sqlite3"), work
                )
            )
            idles.append(await idle("bare Bolt AsyncApp (again)", BARE, env("bare.sqlite3"), work))
            served = await probe(SERVE, env("bot.sqlite3"), work, trace=trace)
            bare = await probe(BARE, env("bare.sqlite3"), work, trace=False)
    return report(idles, served, bare)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--trace", action="store_true", help="tracemalloc at idle (slower)")
    args = parser.parse_args(argv)
    print("\n".join(asyncio.run(run(args.trace))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
