"""The local Slack's views.publish refuses what Slack refuses: a view that is not a Home
tab, more than 100 blocks, a person who is not in the workspace; what it takes is that
person's Home tab. Through slack_sdk's own client, as the bot calls it."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.playground.slack import FakeSlack
from invite_bot.playground.slack.home import publishes_to
from tests.support.harness import ADMIN, BOT_TOKEN


def _home(blocks: int) -> dict[str, Any]:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "a line"}}
    return {"type": "home", "blocks": [section] * blocks}


async def _publish(slack: FakeSlack, user_id: str, view: dict[str, Any]) -> str | None:
    """Slack's error, or None when it took the view."""
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
    try:
        await client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:
        return str(exc.response["error"])
    finally:
        if client.session:
            await client.session.close()
    return None


async def test_a_home_tab_of_100_blocks_is_that_persons(slack: FakeSlack) -> None:
    assert await _publish(slack, ADMIN, _home(100)) is None
    assert len(slack.homes[ADMIN]["blocks"]) == 100
    assert publishes_to(slack, ADMIN) == 1


@pytest.mark.parametrize(
    "view",
    [
        _home(101),
        {**_home(3), "type": "modal", "title": {"type": "plain_text", "text": "A modal"}},
        {"type": "home", "blocks": []},
    ],
    ids=["101 blocks", "a modal", "no blocks"],
)
async def test_what_slack_refuses_is_refused_and_recorded(
    slack: FakeSlack, view: dict[str, Any]
) -> None:
    assert await _publish(slack, ADMIN, view) == "invalid_arguments"
    assert ADMIN not in slack.homes
    assert slack.violations, "a malformed view is the bot's fault"
    slack.violations.clear()  # the fixture fails a test that leaves one


async def test_a_person_not_in_the_workspace_has_no_home_tab(slack: FakeSlack) -> None:
    assert await _publish(slack, "U0NOBODY1", _home(1)) == "user_not_found"
    assert slack.homes == {}
