"""Socket Mode end to end: the real `invite-bot socket` process against the local Slack's
Socket Mode over loopback (invite_bot/playground/socket_mode.py), and its probes: live
while the process serves, ready only while the socket is connected."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest

from invite_bot.features.invite.modals import ADDRESSES_BLOCK, ADDRESSES_INPUT, INVITE_MODAL
from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import (
    FakeSlack,
    block_action_body,
    slash_command_body,
    view_submission_body,
)
from invite_bot.playground.socket_mode import Envelope, SocketMode
from invite_bot.store.migrate import HEAD_REVISION
from tests.faults.slack import SlackFault, SlackFaults
from tests.support.harness import ADMIN, BOT_TOKEN, bot_environment, sqlite_url, terminate
from tests.support.processes import run_cli
from tests.support.served import free_port
from tests.support.waiting import until

APP_TOKEN = "xapp-1-A0TEST-123-socketmodetoken"
CREATE = "/api/v2/invitations/"
CONNECTIONS_OPEN = "apps.connections.open"
# Enough refusals of a new socket address to outlast any test: cleared by `slack.reset`.
REFUSALS = 10_000


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """The local Slack with Socket Mode on (replaces the plain one of tests/conftest.py)."""
    async with FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as fake:
        fake.add_user(ADMIN, name="ana", is_admin=True)
        yield fake
        assert fake.violations == [], "the bot sent Slack something malformed"


@dataclass
class SocketBot:
    process: asyncio.subprocess.Process
    log: Path
    socket: SocketMode
    url: str  # its probes and metrics: /healthz, /readyz, /metrics

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def probe(self, path: str) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(self.url + path) as response,
        ):
            return response.status, await response.json()

    async def probe_until(self, path: str, status: int, timeout: float = 60.0) -> Any:
        """GET `path` until it answers `status` (waiting for the server too); its body."""
        deadline = time.monotonic() + timeout
        last: object = None
        while True:
            if self.process.returncode is not None:
                raise AssertionError(f"the bot exited:\n{self.output()}")
            try:
                got, body = await self.probe(path)
            except aiohttp.ClientError as exc:
                got, body = None, exc
            if got == status:
                return body
            last = (got, body)
            if time.monotonic() > deadline:
                raise AssertionError(f"{path} never answered {status}: {last}\n{self.output()}")
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def socket_bot_process(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> AsyncIterator[SocketBot]:
    """`invite-bot socket --no-watch`, its probes on a free loopback port; not waited for."""
    port = free_port()
    env = bot_environment(
        gencove, slack, sqlite_url(tmp_path), SLACK_APP_TOKEN=APP_TOKEN, PORT=str(port)
    )
    env.pop("SLACK_SIGNING_SECRET")  # Socket Mode needs no signing secret
    log = tmp_path / "socket-bot.log"
    with log.open("wb") as handle:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "invite_bot",
            "socket",
            "--no-watch",
            "--host",
            "127.0.0.1",
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            cwd=tmp_path,
            stdout=handle,
            stderr=handle,
        )
    assert slack.socket_mode is not None
    bot = SocketBot(process, log, slack.socket_mode, f"http://127.0.0.1:{port}")
    try:
        yield bot
    finally:
        await terminate(process)
    output = bot.output()
    assert APP_TOKEN not in output
    assert BOT_TOKEN not in output
    assert gencove.org_api_key not in output


@pytest.fixture
async def socket_bot(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> AsyncIterator[SocketBot]:
    async with socket_bot_process(gencove, slack, tmp_path) as bot:
        await bot.socket.wait_connected(timeout=60)
        yield bot


def _fields(form_body: bytes) -> dict[str, Any]:
    """A slash command's form fields, as Socket Mode carries them."""
    return dict(parse_qsl(form_body.decode()))


def _payload(form_body: bytes) -> dict[str, Any]:
    """An interaction's JSON payload, as Socket Mode carries it."""
    return dict(json.loads(_fields(form_body)["payload"]))


async def _command(slack: FakeSlack, bot: SocketBot, text: str) -> tuple[Envelope, str]:
    url = slack.new_response_url()
    body = slash_command_body(
        text, user_id=ADMIN, response_url=url, trigger_id=slack.new_trigger_id()
    )
    envelope = await bot.socket.send("slash_commands", _fields(body))
    await bot.socket.acknowledged(envelope)
    return envelope, url


async def test_invite_and_revoke_over_the_socket(
    socket_bot: SocketBot, slack: FakeSlack, gencove: FakeGencove
) -> None:
    await _command(slack, socket_bot, "invite sam@lab.org")
    await slack.wait_for(lambda: slack.messages_in("C_GENERAL"), timeout=30)
    [message] = slack.messages_in("C_GENERAL")
    [invitation] = gencove.find("sam@lab.org")
    assert str(invitation.id) in json.dumps(message.blocks)

    click = block_action_body(
        REVOKE,
        user_id=ADMIN,
        message=message,
        response_url=slack.new_response_url(channel="C_GENERAL", ts=message.ts),
        trigger_id=slack.new_trigger_id(),
    )
    envelope = await socket_bot.socket.send("interactive", _payload(click))
    await socket_bot.socket.acknowledged(envelope)
    await until(lambda: gencove.find("sam@lab.org")[0].status == "revoked", timeout=30)
    await slack.wait_for(lambda: "revoked" in json.dumps(message.blocks), timeout=30)
    assert gencove.count("DELETE", CREATE) == 1
    assert gencove.count("POST", CREATE) == 1
    assert len(slack.messages_in("C_GENERAL")) == 1


async def test_a_modal_field_error_comes_back_in_the_acknowledgement(
    socket_bot: SocketBot, slack: FakeSlack
) -> None:
    await _command(slack, socket_bot, "invite")
    await slack.wait_for(lambda: slack.views, timeout=30)
    [opened] = slack.views.values()
    body = view_submission_body(
        INVITE_MODAL,
        {ADDRESSES_BLOCK: {ADDRESSES_INPUT: "not-an-address"}},
        user_id=ADMIN,
        view=opened.view,
    )
    envelope = await socket_bot.socket.send("interactive", _payload(body))
    ack = await socket_bot.socket.acknowledged(envelope)
    assert ack["payload"]["response_action"] == "errors"
    assert "not-an-address" in ack["payload"]["errors"][ADDRESSES_BLOCK]


async def test_the_bot_reconnects_after_a_drop_and_a_refresh_and_loses_nothing(
    socket_bot: SocketBot, slack: FakeSlack, gencove: FakeGencove
) -> None:
    await socket_bot.socket.drop()
    await socket_bot.socket.wait_connected(connections=2, timeout=60)
    await _command(slack, socket_bot, "invite one@lab.org")
    await socket_bot.socket.ask_to_reconnect()
    await socket_bot.socket.wait_connected(connections=3, timeout=60)
    await _command(slack, socket_bot, "invite two@lab.org")
    await slack.wait_for(lambda: len(slack.messages_in("C_GENERAL")) == 2, timeout=30)
    assert [len(gencove.find(e)) for e in ("one@lab.org", "two@lab.org")] == [1, 1]
    assert all(e.ack is not None for e in socket_bot.socket.envelopes.values())


async def test_an_envelope_delivered_again_after_a_reconnect_has_one_effect(
    socket_bot: SocketBot, slack: FakeSlack, gencove: FakeGencove
) -> None:
    envelope, _ = await _command(slack, socket_bot, "invite once@lab.org")
    await slack.wait_for(lambda: slack.messages_in("C_GENERAL"), timeout=30)
    await socket_bot.socket.drop()
    await socket_bot.socket.wait_connected(connections=2, timeout=60)
    envelope.ack = None
    await socket_bot.socket.redeliver(envelope)  # as if Slack never saw the first ack
    await socket_bot.socket.acknowledged(envelope)
    assert len(envelope.sent_at) == 2
    await asyncio.sleep(1.0)  # time for a second effect to show, were there one
    assert len(gencove.find("once@lab.org")) == 1
    assert gencove.count("POST", CREATE) == 1
    assert len(slack.messages_in("C_GENERAL")) == 1


async def test_check_opens_a_socket_mode_address_with_the_app_token(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    env = bot_environment(gencove, slack, sqlite_url(tmp_path), SLACK_APP_TOKEN=APP_TOKEN)
    code, out = await run_cli(["check"], env, tmp_path)
    assert code == 0, out
    assert "slack app token: ok" in out
    env["SLACK_APP_TOKEN"] = "xapp-1-wrong-token-000"
    code, out = await run_cli(["check"], env, tmp_path)
    assert code == 1
    assert "slack app token: FAILED, Slack refused SLACK_APP_TOKEN (invalid_auth)" in out
    assert "xapp-1-wrong-token-000" not in out


async def test_ready_only_while_the_socket_is_connected(
    gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults, tmp_path: Path
) -> None:
    """Live from the start; ready once connected; not ready while Slack has dropped the
    socket and will not hand out a new address; ready again once it has reconnected."""
    slack_faults.inject(CONNECTIONS_OPEN, *[SlackFault.status(503)] * REFUSALS)
    async with socket_bot_process(gencove, slack, tmp_path) as bot:
        # Up, but Slack refuses it a socket: live, not ready.
        await bot.probe_until("/healthz", 200)
        await until(lambda: slack_faults.faults_left(CONNECTIONS_OPEN) < REFUSALS, timeout=60)
        status, body = await bot.probe("/readyz")
        assert status == 503, body
        assert body["socket"] == "disconnected"
        assert body["database"] == "reachable"
        assert body["schema"] == {"current": HEAD_REVISION, "expected": HEAD_REVISION, "ok": True}
        assert "Socket Mode" in body["problem"]

        slack.reset(keep_config=True)  # Slack hands out addresses again
        await bot.socket.wait_connected(timeout=60)
        body = await bot.probe_until("/readyz", 200)
        assert body["ok"] is True
        assert body["socket"] == "connected"
        assert "problem" not in body

        # The socket drops, and Slack refuses a new one for a while.
        slack_faults.inject(CONNECTIONS_OPEN, *[SlackFault.status(503)] * REFUSALS)
        await bot.socket.drop()
        body = await bot.probe_until("/readyz", 503)
        assert body["socket"] == "disconnected"
        status, _ = await bot.probe("/healthz")
        assert status == 200  # liveness: restarting would not bring Slack back

        slack.reset(keep_config=True)
        await bot.socket.wait_connected(connections=2, timeout=60)
        body = await bot.probe_until("/readyz", 200)
        assert body["socket"] == "connected"
        assert "invite-bot connected in Socket Mode" in bot.output()


async def test_sigterm_stops_a_process_still_trying_to_connect(
    gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults, tmp_path: Path
) -> None:
    slack_faults.inject(CONNECTIONS_OPEN, *[SlackFault.status(503)] * REFUSALS)
    async with socket_bot_process(gencove, slack, tmp_path) as bot:
        await bot.probe_until("/healthz", 200)
        await until(lambda: slack_faults.faults_left(CONNECTIONS_OPEN) < REFUSALS, timeout=60)
        await terminate(bot.process)
        assert bot.process.returncode == 0, bot.output()
