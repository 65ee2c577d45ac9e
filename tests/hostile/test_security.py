"""Forged, stale, headless and oversized requests; users who may not invite; secrets."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import pytest

from invite_bot.config.logs import REDACTED, RedactSecrets, setup_logging
from invite_bot.features.invite.modals import ADDRESSES_BLOCK, ADDRESSES_INPUT, INVITE_MODAL
from invite_bot.features.listing.blocks import LIST_PAGE
from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, sign, slash_command_body
from tests.faults import Fault, GencoveFaults
from tests.support.harness import (
    ADMIN,
    BOT_TOKEN,
    OUTSIDER,
    SECRET_KEY,
    SIGNING_SECRET,
    BotUnderTest,
)
from tests.support.messages import message_text
from tests.support.secrets import secrets_of

ONE_MIB = 1024 * 1024


def _invite_body(slack: FakeSlack, text: str = "invite ana@lab.org") -> bytes:
    return slash_command_body(
        text, user_id=ADMIN, response_url=slack.new_response_url(), trigger_id="1.2.x"
    )


async def _post(bot: BotUnderTest, body: Any, headers: dict[str, str]) -> int:
    async with bot.session.post(bot.url, data=body, headers=headers) as response:
        await response.read()
        return response.status


async def _no_side_effect(bot: BotUnderTest, slack_calls_before: int) -> None:
    await asyncio.sleep(0.3)
    assert bot.gencove.requests == []
    assert len(bot.slack.calls) == slack_calls_before
    assert await bot.store.read(lambda tx: tx.jobs.get(1)) is None


@pytest.mark.parametrize(
    "case",
    ["forged", "other-secret", "stale", "future", "no-signature", "no-timestamp", "no-headers"],
)
async def test_a_request_not_signed_by_slack_is_refused_without_side_effect(
    bot: BotUnderTest, slack: FakeSlack, case: str
) -> None:
    before = len(slack.calls)
    body = _invite_body(slack)
    headers = sign(body, SIGNING_SECRET)
    if case == "forged":
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
    elif case == "other-secret":
        headers = sign(body, "not-the-signing-secret-0000")
    elif case == "stale":
        headers = sign(body, SIGNING_SECRET, timestamp=int(time.time()) - 6 * 60)
    elif case == "future":
        headers = sign(body, SIGNING_SECRET, timestamp=int(time.time()) + 6 * 60)
    elif case == "no-signature":
        del headers["X-Slack-Signature"]
    elif case == "no-timestamp":
        del headers["X-Slack-Request-Timestamp"]
    else:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert await _post(bot, body, headers) == 401
    await _no_side_effect(bot, before)


async def test_a_body_signed_for_another_body_is_refused(
    bot: BotUnderTest, slack: FakeSlack
) -> None:
    before = len(slack.calls)
    harmless = _invite_body(slack, "help")
    headers = sign(harmless, SIGNING_SECRET)
    assert await _post(bot, _invite_body(slack), headers) == 401
    await _no_side_effect(bot, before)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_body_over_one_mib_is_refused_without_side_effect(
    bot: BotUnderTest, slack: FakeSlack, chunked: bool
) -> None:
    before = len(slack.calls)
    body = _invite_body(slack, "invite " + "a" * ONE_MIB + "@lab.org")
    headers = sign(body, SIGNING_SECRET)  # even correctly signed

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    status = await _post(bot, pieces() if chunked else body, headers)
    assert status == 413
    await _no_side_effect(bot, before)


MALFORMED = {
    "bad-utf8": (b"command=%2Fgencove&text=\xff\xfe", None),
    "broken-json": (b"{not json", "application/json"),
    "json-list": (b"[1, 2]", "application/json"),
    "broken-payload": (b"payload=%7Bnot", None),
    "payload-list": (b"payload=%5B%5D", None),
    "view-without-type": (
        b"payload=" + quote(json.dumps({"view": {"callback_id": INVITE_MODAL}})).encode(),
        None,
    ),
}


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
@pytest.mark.parametrize("case", list(MALFORMED))
async def test_a_malformed_body_is_refused_not_a_server_error(
    bot: BotUnderTest, slack: FakeSlack, case: str, signed: bool
) -> None:
    before = len(slack.calls)
    body, content_type = MALFORMED[case]
    headers = sign(
        body, SIGNING_SECRET if signed else "wrong-secret-0000", content_type=content_type
    )
    status = await _post(bot, body, headers)
    # 404 is Bolt's own answer to a well-formed payload that no listener handles
    assert status in ({400, 404} if signed else {400, 401})
    await _no_side_effect(bot, before)


# every privileged action, as a user who is not an inviter (whose `invite` asks the
# inviters instead: tests/features/requests/test_requests.py)
PRIVILEGED_COMMANDS = [
    "list",
    "list all",
    "revoke ana@lab.org",
    "revoke 3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "notify here",
    "notify off",
    "notify",
]


@pytest.mark.parametrize("text", PRIVILEGED_COMMANDS)
async def test_a_command_needing_an_inviter_is_refused_to_others(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack, text: str
) -> None:
    answer, url = await bot.command(text, user=OUTSIDER)
    assert answer.status == 200
    await slack.wait_for(lambda: slack.response_posts(url))
    await asyncio.sleep(0.2)
    [reply] = slack.response_posts(url)
    assert reply.get("response_type", "ephemeral") == "ephemeral"
    assert "Only the people who manage Gencove invitations" in reply["text"]
    _assert_nothing_done(gencove, slack)
    assert await bot.store.read(lambda tx: tx.subscriptions.all()) == []


@pytest.mark.parametrize("kind", ["revoke-on-message", "revoke-on-list", "list-page"])
async def test_a_click_needing_an_inviter_is_refused_to_others(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack, kind: str
) -> None:
    ana = gencove.add_invitation("ana@lab.org")
    page = json.dumps({"status": "pending", "offset": 0})
    if kind == "revoke-on-message":
        click: dict[str, Any] = {"value": str(ana.id), "block_id": f"inv:{ana.id}"}
        action = REVOKE
    elif kind == "revoke-on-list":
        click = {"value": f"{ana.id}|{page}", "container": "ephemeral"}
        action = REVOKE
    else:
        click = {"value": page, "container": "ephemeral"}
        action = f"{LIST_PAGE}:next"
    answer, url = await bot.click(action, user_id=OUTSIDER, **click)
    assert answer.status == 200
    await slack.wait_for(lambda: slack.response_posts(url))
    await asyncio.sleep(0.2)
    [reply] = slack.response_posts(url)
    assert reply.get("response_type", "ephemeral") == "ephemeral"
    assert not reply.get("replace_original")
    assert "Only the people who manage Gencove invitations" in reply["text"]
    _assert_nothing_done(gencove, slack)
    assert ana.status == "pending"


async def test_an_invite_modal_submitted_by_another_user_is_refused(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    answer = await bot.submit(
        INVITE_MODAL,
        {ADDRESSES_BLOCK: {ADDRESSES_INPUT: "ana@lab.org"}},
        user_id=OUTSIDER,
        private_metadata=json.dumps({"channel_id": "C_GENERAL"}),
    )
    assert answer.status == 200
    await slack.wait_for(lambda: slack.ephemerals)
    [note] = slack.ephemerals
    assert note.user == OUTSIDER
    assert "Only the people who manage Gencove invitations" in (note.text or "")
    _assert_nothing_done(gencove, slack)


def _assert_nothing_done(gencove: FakeGencove, slack: FakeSlack) -> None:
    assert gencove.requests == [], [f"{r.method} {r.path}" for r in gencove.requests]
    for method in ("chat.postMessage", "chat.update", "views.open"):
        assert slack.calls_to(method) == [], method


async def test_no_secret_reaches_slack_even_when_everything_fails(
    bot: BotUnderTest, gencove: FakeGencove, gencove_faults: GencoveFaults, slack: FakeSlack
) -> None:
    gencove_faults.inject("POST", "/api/v2/invitations/", Fault.status(401))
    gencove_faults.inject("GET", "/api/v2/roles/", Fault.status(403))
    _, first = await bot.command("invite ana@lab.org")
    # The invite job reads the pending list too: the list's 500 must meet `list`'s read.
    # Nothing was invited, so the inviter alone is told (the response_url).
    await slack.wait_for(lambda: slack.response_posts(first), timeout=15)
    gencove_faults.inject("GET", "/api/v2/invitations/", Fault.status(500, body={"detail": "down"}))
    _, second = await bot.command("list")
    await bot.command("invite")
    await slack.wait_for(
        lambda: slack.response_posts(second) and slack.calls_to("views.open"),
        timeout=15,
    )
    await asyncio.sleep(0.3)
    sent = slack.all_text()
    for secret in secrets_of(gencove):
        assert secret not in sent
    assert "not invited" in message_text(slack.response_posts(first)[0])
    assert "Gencove" in message_text(slack.response_posts(second)[0])


def test_production_logging_redacts_every_secret_and_token_shape() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogger("slack_bolt").level)
    redactor = setup_logging("DEBUG", [BOT_TOKEN, SIGNING_SECRET, SECRET_KEY, "gc-org-abc123"])
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    try:
        logger = logging.getLogger("invite_bot.test")
        logger.info("token %s secret %s", BOT_TOKEN, SIGNING_SECRET)
        logger.debug("headers {'Authorization': 'Api-Key gc-org-abc123'} key=%s", SECRET_KEY)
        logger.warning("other tokens: xoxp-1-2-3 xapp-1-A-B Bearer abc.def.ghi")
        try:
            raise ValueError(f"refused {BOT_TOKEN}")
        except ValueError:
            logger.exception("failed with %s", "gc-org-abc123")
        redactor.add("personal-key-0123456789")
        logger.error("linked key personal-key-0123456789")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.getLogger("slack_bolt").setLevel(saved[2])
    text = stream.getvalue()
    for secret in (BOT_TOKEN, SIGNING_SECRET, SECRET_KEY, "gc-org-abc123", "xoxp-1-2-3"):
        assert secret not in text
    for shape in ("xapp-1-A-B", "abc.def.ghi", "personal-key-0123456789"):
        assert shape not in text
    assert text.count(REDACTED) >= 8
    assert "ValueError" in text
    assert isinstance(redactor, RedactSecrets)
