"""LOG_FORMAT=json from the real `invite-bot serve` process: every line one JSON object,
and one request id followed from a slash command to the Gencove call, the store writes
and the Slack call it caused. Redaction holds for a handler added after start-up."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from invite_bot.config.logs import (
    REDACTED,
    JsonFormatter,
    new_request_id,
    request_id,
    setup_logging,
)
from invite_bot.config.settings import SettingsError, load_settings
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from tests.support.harness import BOT_TOKEN, SECRET_KEY, SIGNING_SECRET
from tests.support.served import served_bot

FIELDS = {"time", "level", "logger", "message", "request_id"}


def _entries(lines: list[str]) -> list[dict[str, Any]]:
    entries = []
    for line in lines:
        entry = json.loads(line)  # every line, or the test fails here
        assert isinstance(entry, dict), line
        assert set(entry) >= FIELDS, line
        entries.append(entry)
    return entries


async def test_json_logs_follow_one_slash_command_by_its_request_id(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    async with served_bot(
        gencove, slack, tmp_path, LOG_FORMAT="json", LOG_LEVEL="DEBUG", WATCH_INTERVAL="0.5"
    ) as bot:
        assert (await bot.command("invite ana@lab.org")).status == 200
        await slack.wait_for(lambda: slack.messages_in("C_GENERAL"), timeout=30)
        await bot.wait_for_output("slack chat.postMessage -> ok")
        entries = _entries(bot.log_lines())
        output = bot.output()

    [delivery] = [e for e in entries if e["message"] == "a slash_command delivery"]
    rid = delivery["request_id"]
    assert isinstance(rid, str)
    mine = [e["message"] for e in entries if e["request_id"] == rid]
    assert any(m.startswith("gencove POST /api/v2/invitations/ -> 201") for m in mine), mine
    assert any(m.startswith("gencove GET /api/v2/invitations/") for m in mine), mine
    assert "store: INSERT INTO invite_jobs" in mine, mine
    assert any(m.startswith("slack chat.postMessage -> ok") for m in mine), mine
    # The watcher's polls are requests of their own, never this one.
    polls = [e for e in entries if e["message"].startswith("poll: ")]
    assert polls
    assert all(e["request_id"] not in {rid, None} for e in polls)
    assert all(e["level"] in {"DEBUG", "INFO", "WARNING", "ERROR"} for e in entries)
    for secret in (BOT_TOKEN, SIGNING_SECRET, SECRET_KEY, gencove.org_api_key):
        assert secret not in output


@pytest.fixture
def logging_restored() -> Iterator[None]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        yield
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


SECRET = "gc-org-secret-0123456789"


@pytest.mark.usefixtures("logging_restored")
def test_a_handler_added_after_start_up_still_redacts() -> None:
    setup_logging("INFO", [SECRET], log_format="json")
    later = io.StringIO()
    handler = logging.StreamHandler(later)
    # Its own formatter, which formats tracebacks itself: nothing of ours is on it.
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s %(exc_info)s"))
    logger = logging.getLogger("some.library")
    logger.addHandler(handler)
    try:
        logger.warning("connecting with key %s", SECRET)
        logger.warning("headers {'Authorization': 'Api-Key %s'}", "other-key-abcdef")
        try:
            raise RuntimeError(f"refused {SECRET}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = later.getvalue()
    assert SECRET not in text
    assert "other-key-abcdef" not in text
    assert text.count(REDACTED) >= 3
    assert "RuntimeError" in text


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.usefixtures("logging_restored")
def test_records_without_a_secret_keep_their_arguments() -> None:
    setup_logging("INFO", [SECRET])
    kept = _Kept()
    logging.getLogger().addHandler(kept)
    logging.getLogger("invite_bot.test").info("invited %d people", 3)
    logging.getLogger("invite_bot.test").info("key %s", SECRET)
    plain, secret = kept.records
    assert (plain.msg, plain.args) == ("invited %d people", (3,))
    assert secret.getMessage() == f"key {REDACTED}"


@pytest.mark.usefixtures("logging_restored")
def test_json_lines_carry_the_request_id_and_the_traceback() -> None:
    setup_logging("INFO", [], log_format="json")  # installs the factory that tags records
    formatter = JsonFormatter()
    token = request_id.set(None)
    try:
        rid = new_request_id()
        try:
            raise ValueError("broken")
        except ValueError:
            record = logging.getLogger("invite_bot.x").makeRecord(
                "invite_bot.x", logging.ERROR, __file__, 1, "it %s", ("broke",), sys.exc_info()
            )
    finally:
        request_id.reset(token)
    entry = json.loads(formatter.format(record))
    assert entry["message"] == "it broke"
    assert entry["request_id"] == rid
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "invite_bot.x"
    assert "ValueError: broken" in entry["exc_info"]
    assert "\n" not in formatter.format(record)


def test_log_format_is_text_or_json_and_anything_else_is_named() -> None:
    given = {"slack_bot_token": BOT_TOKEN, "gencove_api_key": "gc-org-key-0123"}
    assert load_settings(env_file=None, **given).log_format == "text"
    assert load_settings(env_file=None, log_format="JSON", **given).log_format == "json"
    with pytest.raises(SettingsError, match="LOG_FORMAT"):
        load_settings(env_file=None, log_format="xml", **given)
