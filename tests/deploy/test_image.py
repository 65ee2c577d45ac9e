"""The image, built by podman from the Dockerfile, and what runs from it.

Each command runs from the image's own filesystem, as its user, with its environment,
working directory and entrypoint (see podman.py: no container can be started here). The
chroot shares this machine's network, so the bot inside reaches the loopback stand-ins
and the test reaches the bot on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import yaml

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, deliver, slash_command_body
from tests.deploy.podman import ROOT, Image, Rootfs
from tests.faults.slack import SlackFault, SlackFaults
from tests.support.harness import ADMIN, BOT_TOKEN, SIGNING_SECRET, bot_environment, terminate

pytestmark = [pytest.mark.podman, pytest.mark.timeout(1200)]

# What each process of the image answers 200 to once it can take traffic: liveness and
# readiness (Socket Mode's readiness: the socket to Slack is connected).
PROBES = {
    "web": ("/healthz", "/readyz"),
    "worker": ("/healthz", "/readyz"),
    "socket": ("/healthz", "/readyz"),
}
APP_TOKEN = "xapp-1-A0IMAGE-1-socketmodetoken"
CONNECTIONS_OPEN = "apps.connections.open"
# No C compiler may be left in the final stage (by any of its usual names).
COMPILERS = ("cc", "gcc", "c++", "g++", "clang", "x86_64-linux-gnu-gcc", "aarch64-linux-gnu-gcc")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_image_runs_as_a_user_with_a_healthcheck(image: Image, rootfs: Rootfs) -> None:
    uid, gid = rootfs.user_ids()
    assert uid != 0, f"USER {image.user!r} is root"
    assert gid != 0
    assert image.user.split(":")[0].isdigit(), "a numeric USER lets Kubernetes check runAsNonRoot"
    assert image.entrypoint == ["invite-bot"]
    assert image.cmd == ["serve"]
    assert image.env.get("PYTHONUNBUFFERED") == "1"
    assert image.exposed_ports == ["3000/tcp"]
    assert image.healthcheck[0] == "CMD", image.healthcheck
    assert "/healthz" in " ".join(image.healthcheck)
    assert "PORT" in " ".join(image.healthcheck)
    # The working directory is the user's: the default SQLite file is written there.
    workdir = rootfs.path / image.workdir.lstrip("/")
    assert workdir.stat().st_uid == uid


def test_the_image_has_no_compiler_and_no_source_tree(image: Image, rootfs: Rootfs) -> None:
    path = image.env["PATH"].split(":")
    found = [
        f"{folder}/{name}"
        for folder in path
        for name in COMPILERS
        if (rootfs.path / folder.lstrip("/") / name).exists()
    ]
    assert found == [], f"a compiler in the final stage: {found}"
    assert not (rootfs.path / "src").exists()
    assert not (rootfs.path / "wheels").exists()
    installed = sorted(rootfs.path.glob("opt/invite-bot/lib/python3*/site-packages/invite_bot"))
    assert len(installed) == 1, installed
    records = list(installed[0].parent.glob("invite_bot-*.dist-info/direct_url.json"))
    # Installed from the wheel file, not a directory (no editable install, no source).
    assert records, "no direct_url.json: not installed from the built wheel"
    direct = json.loads(records[0].read_text())
    assert direct["url"].endswith(".whl"), direct
    # No other copy of the package anywhere (a source tree left behind).
    copies = sorted(rootfs.path.glob("**/invite_bot/__main__.py"))
    assert copies == [installed[0] / "__main__.py"], copies


async def test_the_playground_runs_from_the_image(rootfs: Rootfs) -> None:
    """`invite-bot playground` from the installed wheel: its page, a command, the sandbox
    (so the static files, the specs and the migrations are all in the wheel)."""
    process = await asyncio.create_subprocess_exec(
        *rootfs.command(["playground", "--port", "0"]),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=120)).decode()
        if not line.startswith("invite-bot playground: open http://127.0.0.1:"):
            assert process.stderr is not None
            raise AssertionError(line + (await process.stderr.read()).decode(errors="replace"))
        address = line.split("open ", 1)[1].split()[0]
        async with aiohttp.ClientSession() as session:
            async with session.get(address) as response:
                assert response.status == 200
                assert "invite-bot playground" in await response.text()
            for asset in ("playground.js", "playground.css", "blockkit.css"):
                async with session.get(f"{address}static/{asset}") as response:
                    assert response.status == 200, asset
            command = {"user": "admin", "channel": "general", "text": "invite ana@lab.org"}
            async with session.post(address + "playground/api/command", json=command) as sent:
                assert sent.status == 200, await sent.text()
            for _ in range(200):
                async with session.get(address + "playground/api/gencove/invitations") as got:
                    rows = (await got.json())["invitations"]
                if any(row["email"] == "ana@lab.org" for row in rows):
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the bot in the image did not invite ana@lab.org")
        assert _uid_of(process.pid) == rootfs.user_ids()[0]
        await terminate(process)
        assert process.returncode == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@contextlib.asynccontextmanager
async def started(
    rootfs: Rootfs,
    args: list[str],
    env: dict[str, str],
    log: Path,
) -> AsyncIterator[asyncio.subprocess.Process]:
    with log.open("wb") as handle:
        process = await asyncio.create_subprocess_exec(
            *rootfs.command(args, env), stdout=handle, stderr=handle
        )
        try:
            yield process
        finally:
            await terminate(process)


async def _answers_200(
    session: aiohttp.ClientSession, url: str, process: asyncio.subprocess.Process, log: Path
) -> str:
    for _ in range(600):
        if process.returncode is not None:
            raise AssertionError(f"exited {process.returncode}:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(url) as response:
                if response.status == 200:
                    return await response.text()
        await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never answered 200:\n{log.read_text(errors='replace')}")


async def test_migrate_then_serve_and_watch_from_the_image(
    rootfs: Rootfs, gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    """What compose runs, on the image's default SQLite file: `migrate` once, then `serve
    --no-watch` (web) and `watch` (worker); each answers its probes, web answers a signed
    slash command, and the image's HEALTHCHECK passes against each."""
    env = bot_environment(gencove, slack, "unused")
    del env["DATABASE_URL"]  # the image's default: a file in its working directory
    migrate = await asyncio.create_subprocess_exec(
        *rootfs.command(["migrate"], env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(migrate.communicate(), timeout=120)
    assert migrate.returncode == 0, output.decode(errors="replace")
    assert b"up to date" in output
    web_port, worker_port = _free_port(), _free_port()
    async with (
        started(
            rootfs,
            ["serve", "--no-watch", "--host", "127.0.0.1"],
            {**env, "PORT": str(web_port)},
            tmp_path / "web.log",
        ) as web,
        started(
            rootfs,
            ["watch", "--host", "127.0.0.1"],
            {**env, "PORT": str(worker_port)},
            tmp_path / "worker.log",
        ) as worker,
        aiohttp.ClientSession() as session,
    ):
        for name, port, process in (("web", web_port, web), ("worker", worker_port, worker)):
            log = tmp_path / f"{name}.log"
            for probe in PROBES[name]:
                body = await _answers_200(session, f"http://127.0.0.1:{port}{probe}", process, log)
                assert json.loads(body)["ok"] is True, body
            assert _uid_of(process.pid) == rootfs.user_ids()[0]
            check = await asyncio.create_subprocess_exec(
                *rootfs.healthcheck({"PORT": str(port)}), stderr=asyncio.subprocess.PIPE
            )
            _, errors = await asyncio.wait_for(check.communicate(), timeout=30)
            assert check.returncode == 0, errors.decode(errors="replace")
        answer = await deliver(
            session,
            f"http://127.0.0.1:{web_port}/slack/events",
            slash_command_body("help", user_id=ADMIN),
            SIGNING_SECRET,
        )
        assert answer.status == 200, answer.text
        assert "invite" in answer.text
        async with session.get(f"http://127.0.0.1:{worker_port}/metrics") as metrics:
            assert metrics.status == 200
            assert "invite_bot_watcher_polls_total" in await metrics.text()
    assert web.returncode == 0, (tmp_path / "web.log").read_text(errors="replace")
    assert worker.returncode == 0, (tmp_path / "worker.log").read_text(errors="replace")
    # The HEALTHCHECK fails when nothing answers on PORT.
    check = await asyncio.create_subprocess_exec(
        *rootfs.healthcheck({"PORT": str(_free_port())}), stderr=asyncio.subprocess.DEVNULL
    )
    assert await asyncio.wait_for(check.wait(), timeout=30) != 0


async def _answers(
    session: aiohttp.ClientSession,
    url: str,
    status: int,
    process: asyncio.subprocess.Process,
    log: Path,
) -> None:
    for _ in range(600):
        if process.returncode is not None:
            raise AssertionError(f"exited {process.returncode}:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(url) as response:
                if response.status == status:
                    return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never answered {status}:\n{log.read_text(errors='replace')}")


async def _check_passes(command: list[str]) -> bool:
    check = await asyncio.create_subprocess_exec(*command, stderr=asyncio.subprocess.DEVNULL)
    return await asyncio.wait_for(check.wait(), timeout=30) == 0


async def test_socket_mode_from_the_image(
    rootfs: Rootfs, gencove: FakeGencove, tmp_path: Path
) -> None:
    """`socket --no-watch` from the image against the local Slack's Socket Mode: live and
    ready once connected; after Slack drops the socket (and refuses a new one) still live
    but not ready, and compose.yaml's health check for it, run inside the image, fails."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    kind, *compose_check = compose["services"]["socket"]["healthcheck"]["test"]
    assert kind == "CMD"
    async with FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as slack:
        slack.add_user(ADMIN, name="ana", is_admin=True)
        assert slack.socket_mode is not None
        env = bot_environment(gencove, slack, "unused", SLACK_APP_TOKEN=APP_TOKEN)
        del env["DATABASE_URL"], env["SLACK_SIGNING_SECRET"]
        port = _free_port()
        env["PORT"] = str(port)
        log = tmp_path / "socket.log"
        async with (
            started(rootfs, ["socket", "--no-watch", "--host", "127.0.0.1"], env, log) as bot,
            aiohttp.ClientSession() as session,
        ):
            await slack.socket_mode.wait_connected(timeout=120)
            for probe in PROBES["socket"]:
                body = await _answers_200(session, f"http://127.0.0.1:{port}{probe}", bot, log)
                assert json.loads(body)["ok"] is True, body
            assert _uid_of(bot.pid) == rootfs.user_ids()[0]
            assert await _check_passes(rootfs.as_user(compose_check, {"PORT": str(port)}))

            SlackFaults(slack).inject(CONNECTIONS_OPEN, *[SlackFault.status(503)] * 10_000)
            await slack.socket_mode.drop()
            await _answers(session, f"http://127.0.0.1:{port}/readyz", 503, bot, log)
            assert not await _check_passes(rootfs.as_user(compose_check, {"PORT": str(port)}))
            assert await _check_passes(rootfs.healthcheck({"PORT": str(port)}))  # live
        assert bot.returncode == 0, log.read_text(errors="replace")
        output = log.read_text(errors="replace")
        assert APP_TOKEN not in output
        assert BOT_TOKEN not in output


def _uid_of(pid: int) -> int:
    """The real uid of a running process (the chroot exec'ed into the bot, same pid)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid line for {pid}")
