"""Gencove quoting the organization's API key in a refusal: the bulk invite's report,
which carries each address's error, reaches the channel's thread without it."""

from __future__ import annotations

from invite_bot.config.logs import REDACTED
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from tests.faults import Fault, GencoveFaults
from tests.support.bulk import CREATE, addresses, dm_message, final_message, report_of
from tests.support.harness import BotUnderTest
from tests.support.secrets import secrets_of


async def test_a_refusal_quoting_the_organization_key_is_redacted_in_the_report(
    bot: BotUnderTest, slack: FakeSlack, gencove: FakeGencove, gencove_faults: GencoveFaults
) -> None:
    key = gencove.org_api_key
    refusal = {"email": [f"Not allowed for the key {key}: ask its owner."]}
    gencove_faults.inject("POST", CREATE, Fault.status(400, body=refusal).times(3))
    emails = addresses(3, "secret")
    await bot.send(dm_message("\n".join(emails)))
    message = await final_message(slack)
    rows = await report_of(slack, message)
    assert [row["outcome"] for row in rows] == ["failed"] * 3
    for row in rows:  # the refusal is in the report, its key is not
        assert "Not allowed for the key" in row["error"]
        assert REDACTED in row["error"]
    [uploaded] = slack.files.uploaded_by_bot()
    assert uploaded.content is not None
    stored = uploaded.content.decode("utf-8-sig")
    for secret in secrets_of(gencove):
        assert secret not in stored
    assert key not in slack.all_text()
