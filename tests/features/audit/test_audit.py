"""`/gencove audit [--since 30d]`: an inviter gets the audit log as a CSV in their DM (the
file read back from the local Slack), a member gets the refusal every inviter-only command
gives; cells a spreadsheet would run are neutralised, secrets redacted, `--since` filters
and is checked, an empty period says so, a 20,000-entry log is exported whole; on SQLite
and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

from invite_bot.domain.audit import AUDIT_HEADER
from invite_bot.domain.policy import NOT_AN_INVITER
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from invite_bot.playground.slack_files import SlackFile
from invite_bot.store import Tx
from invite_bot.store.schema import audit_log, utcnow
from tests.faults.slack import SlackFault, SlackFaults
from tests.support.harness import ADMIN, OUTSIDER, BotUnderTest, running_bot, sqlite_url

ADMIN_DM = "D" + ADMIN[1:]


async def _export(bot: BotUnderTest, text: str = "audit", *, user: str = ADMIN) -> str:
    """Run the command; the private answer it ends with."""
    _, url = await bot.command(text, user=user)
    await bot.slack.wait_for(lambda: bot.slack.response_posts(url), timeout=60)
    return str(bot.slack.response_posts(url)[-1]["text"])


async def _file(slack: FakeSlack, count: int = 1) -> SlackFile:
    await slack.wait_for(lambda: len(slack.files.uploaded_by_bot()) >= count, timeout=60)
    return slack.files.uploaded_by_bot()[count - 1]


def _rows(uploaded: SlackFile) -> list[dict[str, str]]:
    lines = list(csv.reader(io.StringIO(uploaded.text)))
    assert tuple(lines[0]) == AUDIT_HEADER
    return [dict(zip(AUDIT_HEADER, line, strict=True)) for line in lines[1:]]


def _addresses(uploaded: SlackFile) -> list[str]:
    """The revoked addresses the file lists (each export adds its own entry too)."""
    return [row["address"] for row in _rows(uploaded) if row["action"] == "revoke"]


def _add(tx: Tx, *, days_ago: float = 0, **entry: Any) -> None:
    """An audit entry as the features write them, at a chosen time."""
    values = {"actor_slack_id": ADMIN, "invitation_id": None, "email": None, "channel_id": None}
    values.update(entry)
    values.setdefault("detail", {})
    tx.conn.execute(audit_log.insert().values(at=utcnow() - timedelta(days=days_ago), **values))


async def test_an_inviter_gets_the_log_as_a_csv_in_their_dm(
    gencove: FakeGencove, slack: FakeSlack, database_url: str
) -> None:
    async with running_bot(gencove, slack, database_url) as bot:
        await bot.command("invite ana@lab.org --role member")
        await bot.posted_results()
        await slack.wait_for(lambda: gencove.find("ana@lab.org"))
        await bot.settled()
        answer = await _export(bot)
        uploaded = await _file(slack)
    assert "1 entry" in answer
    assert "direct messages" in answer
    assert uploaded.channels == [ADMIN_DM]
    assert uploaded.name.endswith(".csv")
    [row] = _rows(uploaded)
    invitation = gencove.find("ana@lab.org")[0]
    assert row["who (Slack)"] == ADMIN
    assert row["action"] == "invite"
    assert row["address"] == "ana@lab.org"
    assert row["role"] == "member"
    assert row["invitation id"] == str(invitation.id)
    assert row["outcome"] == "invited"
    assert row["time (UTC)"].startswith(utcnow().strftime("%Y-"))


async def test_a_member_is_refused_and_gets_no_file(bot: BotUnderTest, slack: FakeSlack) -> None:
    await bot.store.write(lambda tx: _add(tx, action="revoke", email="ana@lab.org"))
    assert await _export(bot, user=OUTSIDER) == NOT_AN_INVITER
    await _export(bot)  # an inviter's export right after: the member's made nothing
    assert len(slack.files.uploaded_by_bot()) == 1


async def test_formula_cells_are_neutralised_and_secrets_redacted(
    bot: BotUnderTest, slack: FakeSlack, gencove: FakeGencove
) -> None:
    key = gencove.org_api_key
    await bot.store.write(
        lambda tx: _add(
            tx,
            action="request_denied",
            email='=HYPERLINK("http://evil")@lab.org',
            detail={"role": "+1+1", "reason": f"@SUM(1) -- leaked {key} and xoxb-123-456-abc"},
        )
    )
    await _export(bot)
    uploaded = await _file(slack)
    [row] = _rows(uploaded)
    assert row["address"] == '\'=HYPERLINK("http://evil")@lab.org'
    assert row["role"] == "'+1+1"
    assert row["outcome"].startswith("denied: @SUM(1)")  # not leading: kept as written
    assert key not in uploaded.text
    assert "xoxb-123-456-abc" not in uploaded.text
    assert "[redacted]" in row["outcome"]


async def test_since_filters_and_a_bad_since_is_answered(
    bot: BotUnderTest, slack: FakeSlack
) -> None:
    def history(tx: Tx) -> None:
        _add(tx, action="revoke", email="old@lab.org", days_ago=40)
        _add(tx, action="revoke", email="recent@lab.org", days_ago=3)
        _add(tx, action="revoke", email="today@lab.org", days_ago=0.01)

    await bot.store.write(history)
    await _export(bot)
    assert _addresses(await _file(slack, 1)) == ["recent@lab.org", "today@lab.org"]
    await _export(bot, "audit --since 12h")
    assert _addresses(await _file(slack, 2)) == ["today@lab.org"]
    await _export(bot, "audit --since=6w")
    assert len(_addresses(await _file(slack, 3))) == 3
    answer, _ = await bot.command("audit --since yesterday")
    text = answer.json()["text"]
    assert "`yesterday`" in text
    assert "30d" in text
    assert "Usage:" in text
    answer, _ = await bot.command("audit --everything")
    assert "the only option is `--since`" in answer.json()["text"]
    assert len(slack.files.uploaded_by_bot()) == 3


async def test_each_export_is_itself_on_the_log_and_a_failed_upload_says_so(
    bot: BotUnderTest, slack: FakeSlack, slack_faults: SlackFaults
) -> None:
    await bot.store.write(lambda tx: _add(tx, action="revoke", email="ana@lab.org"))
    await _export(bot, "audit --since 2d")
    rows = _rows(await _file(slack, 1))
    assert [r["action"] for r in rows] == ["revoke"]
    slack_faults.inject("files.getUploadURLExternal", SlackFault.error("not_allowed"))
    answer = await _export(bot)
    assert "could not be sent" in answer
    assert "not_allowed" in answer
    [exported] = await bot.store.read(lambda tx: tx.audit.entries(action="audit_exported"))
    assert exported.actor_slack_id == ADMIN
    assert exported.detail == {"since_hours": 48, "entries": 1}
    await _export(bot)
    rows = _rows(await _file(slack, 2))
    assert [(r["action"], r["outcome"]) for r in rows] == [
        ("revoke", "revoked"),
        ("audit_exported", "exported"),
    ]


async def test_an_empty_period_says_so_and_uploads_nothing(
    bot: BotUnderTest, slack: FakeSlack
) -> None:
    await bot.store.write(lambda tx: _add(tx, action="revoke", email="old@lab.org", days_ago=9))
    answer = await _export(bot, "audit --since 1w")
    assert "no entries in the last 7 days" in answer
    assert slack.files.uploaded_by_bot() == []
    assert slack.calls_to("files.getUploadURLExternal") == []


async def test_a_large_log_is_exported_whole(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    entries = [
        {"actor_slack_id": ADMIN, "action": "invite", "email": f"user{i}@lab.org"}
        for i in range(20_000)
    ]

    def many(tx: Tx) -> None:
        for start in range(0, len(entries), 1000):
            tx.audit.add_many(entries[start : start + 1000])

    async with running_bot(gencove, slack, sqlite_url(tmp_path)) as bot:
        await bot.store.write(many)
        answer = await _export(bot)
        uploaded = await _file(slack)
    assert "20,000 entries" in answer
    rows = _rows(uploaded)
    assert len(rows) == 20_000
    assert rows[0]["address"] == "user0@lab.org"
    assert rows[-1]["address"] == "user19999@lab.org"
