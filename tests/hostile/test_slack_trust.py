"""Issue 15, second pass: nothing that comes back from Slack is trusted blindly, a reply
that does not land is sent another way, and no secret Gencove quotes reaches Slack.

Every test runs the real Bolt app against the Slack and Gencove stand-ins over loopback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from invite_bot.config.logs import REDACTED
from invite_bot.features.accounts.blocks import API_KEY_BLOCK, API_KEY_INPUT, LINK_MODAL
from invite_bot.features.invite.modals import ADDRESSES_BLOCK, ADDRESSES_INPUT, INVITE_MODAL
from invite_bot.features.listing.blocks import LIST_PAGE
from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, slash_command_body
from invite_bot.slack.trust import OUT_OF_DATE
from tests.faults import Fault, GencoveFaults, SlackFault, SlackFaults
from tests.support.harness import ADMIN, OUTSIDER, BotUnderTest
from tests.support.messages import message_text
from tests.support.waiting import until

INVITATIONS = "/api/v2/invitations/"
INVITEE = "U0INVITE1"
IVY_KEY = "gc-ivy-personal-key-7f3a9c2e41d8b6"


class Elsewhere:
    """A web server on this machine that is not Slack: it records what it is sent."""

    def __init__(self) -> None:
        self.posts: list[bytes] = []
        self.port = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.posts.append(await request.read())
        return web.json_response({"ok": True})

    def url(self, path: str = "/hook") -> str:
        # "localhost", not 127.0.0.1 (the configured SLACK_API_URL's host): another host.
        return f"http://localhost:{self.port}{path}"


@pytest.fixture
async def elsewhere() -> AsyncIterator[Elsewhere]:
    server = Elsewhere()
    app = web.Application()
    app.router.add_post("/{tail:.*}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield server
    finally:
        await runner.cleanup()


def _ephemerals(slack: FakeSlack, user: str = ADMIN) -> list[dict[str, object]]:
    return [c.args for c in slack.calls_to("chat.postEphemeral") if c.args.get("user") == user]


async def _list_with(bot: BotUnderTest, response_url: str, text: str = "list") -> None:
    body = slash_command_body(
        text, user_id=ADMIN, response_url=response_url, trigger_id=bot.slack.new_trigger_id()
    )
    answer = await bot.send(body)
    assert answer.status == 200


# =========================================================================== rows capped


async def test_a_list_page_with_more_rows_than_asked_is_cut_before_it_is_shown(
    bot: BotUnderTest, gencove: FakeGencove, gencove_faults: GencoveFaults, slack: FakeSlack
) -> None:
    gencove.seed(300, 300)
    gencove_faults.inject("GET", INVITATIONS, Fault.extra_rows(250))
    _, url = await bot.command("list")
    [post] = await slack.wait_for(lambda: slack.response_posts(url))
    blocks = post["blocks"]
    rows = [b for b in blocks if str(b.get("block_id", "")).startswith("inv")]
    assert len(blocks) <= 50
    assert len(rows) == 20, [b.get("block_id") for b in blocks]
    assert "showing 1-20" in message_text(post)
    # (the slack fixture also checks that nothing the bot sent broke Block Kit's limits)


# =========================================================================== failed replies


async def test_a_reply_slack_refuses_is_logged_and_sent_as_a_private_note(
    bot: BotUnderTest,
    gencove: FakeGencove,
    slack: FakeSlack,
    slack_faults: SlackFaults,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gencove.seed(3, 3)
    slack_faults.inject("response_url", SlackFault.status(404))  # as for one past its 30 minutes
    url = slack.new_response_url()
    await _list_with(bot, url)
    [note] = await slack.wait_for(lambda: _ephemerals(slack))
    assert note["channel"] == "C_GENERAL"
    assert "3 pending invitations" in message_text(note)

    def ours() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name.startswith("invite_bot")]

    # The bot logs once postEphemeral has answered, a moment after the stand-in saw it.
    await until(lambda: any("reply through response_url" in line for line in ours()))
    assert [line for line in ours() if "reply through response_url" in line] == [
        "a reply through response_url was refused (http_404); sent as a private note instead"
    ]
    assert not [line for line in ours() if url in line or "/response/" in line]


async def test_a_reply_that_gets_no_answer_is_sent_as_a_dm_when_no_note_can_be(
    bot: BotUnderTest,
    gencove: FakeGencove,
    slack: FakeSlack,
    slack_faults: SlackFaults,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gencove.seed(2, 2)
    # Dropped without an answer, and again when slack_sdk tries once more.
    slack_faults.inject("response_url", SlackFault.reset(), SlackFault.reset())
    slack_faults.inject("chat.postEphemeral", SlackFault.error("channel_not_found"))
    await _list_with(bot, slack.new_response_url())
    dm = await slack.wait_for(
        lambda: [c.args for c in slack.calls_to("chat.postMessage") if c.args["channel"] == ADMIN]
    )
    assert "2 pending invitations" in message_text(dm[0])
    await until(
        lambda: any("sent as a private note instead" in r.getMessage() for r in caplog.records)
    )


# =========================================================================== what comes back


async def test_a_response_url_on_another_host_is_never_posted_to(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack, elsewhere: Elsewhere
) -> None:
    gencove.seed(1, 1)
    await _list_with(bot, elsewhere.url())
    [note] = await slack.wait_for(lambda: _ephemerals(slack))
    assert "1 pending invitation" in message_text(note)
    assert elsewhere.posts == []


@pytest.mark.parametrize("forged", [OUTSIDER, "<!channel>", "C0GENERAL\nU0OUTSID1", 123])
async def test_a_forged_metadata_channel_is_never_posted_to(
    bot: BotUnderTest, slack: FakeSlack, gencove: FakeGencove, forged: object
) -> None:
    answer = await bot.submit(
        INVITE_MODAL,
        {ADDRESSES_BLOCK: {ADDRESSES_INPUT: "ana@lab.org"}},
        private_metadata=json.dumps({"channel_id": forged}),
    )
    assert answer.status == 200
    await until(lambda: gencove.count("POST", INVITATIONS) == 1)
    posts = await slack.wait_for(lambda: slack.calls_to("chat.postMessage"))
    # No channel the metadata named: the result goes to the person who submitted the form.
    assert {c.args.get("channel") for c in slack.calls} - {None} <= {ADMIN}, [
        (c.method, c.args.get("channel")) for c in slack.calls
    ]
    assert "ana@lab.org" in message_text(posts[0].args)


async def test_a_forged_metadata_response_url_gets_no_accept_card(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack, elsewhere: Elsewhere
) -> None:
    slack.add_user(INVITEE, name="ivy")
    gencove.add_user("ivy@lab.org", name="Ivy Invitee", api_key=IVY_KEY)
    metadata = {"channel_id": "C_GENERAL", "token": "tok-1", "response_url": elsewhere.url()}
    await bot.command("link", user=INVITEE)
    [view] = await slack.wait_for(lambda: list(slack.views.values()))
    answer = await bot.submit(
        LINK_MODAL,
        {API_KEY_BLOCK: {API_KEY_INPUT: IVY_KEY}},
        user_id=INVITEE,
        view_id=view.id,
        private_metadata=json.dumps(metadata),
    )
    assert answer.status == 200
    # The card comes back as a private note in the channel instead.
    await slack.wait_for(lambda: _ephemerals(slack, INVITEE))
    assert elsewhere.posts == []


@pytest.mark.parametrize(
    "value",
    [
        '{"status":"<!channel>","offset":0}',
        '{"status":"pending","offset":-20}',
        '{"status":"pending","offset":1000000000000}',
        '{"status":"pending"',
        "<!here>",
    ],
)
async def test_a_forged_list_button_is_answered_as_out_of_date(
    bot: BotUnderTest,
    gencove: FakeGencove,
    slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    value: str,
) -> None:
    gencove.seed(3, 3)
    _, url = await bot.click(f"{LIST_PAGE}:next", value=value, container="ephemeral")
    [reply] = await slack.wait_for(lambda: slack.response_posts(url))
    assert message_text(reply).strip().startswith(OUT_OF_DATE)
    assert value not in slack.all_text()
    assert gencove.count("GET", INVITATIONS) == 0
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info]


async def test_a_list_revoke_button_with_a_forged_page_revokes_nothing(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    invitation = gencove.add_invitation("ana@lab.org")
    value = f'{invitation.id}|{{"status":"<!channel>","offset":-1}}'
    _, url = await bot.click(REVOKE, value=value, container="ephemeral")
    [reply] = await slack.wait_for(lambda: slack.response_posts(url))
    assert OUT_OF_DATE in message_text(reply)
    assert gencove.count("DELETE", INVITATIONS) == 0
    assert invitation.status == "pending"


# =========================================================================== redaction


async def test_a_gencove_error_quoting_the_key_never_reaches_slack(
    bot: BotUnderTest,
    gencove: FakeGencove,
    gencove_faults: GencoveFaults,
    slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.CRITICAL)  # what reaches the logs is test_security's concern
    key = gencove.org_api_key
    # Through a reply (the response_url): a list Gencove refuses, quoting the key.
    gencove_faults.inject(
        "GET", INVITATIONS, Fault.status(400, {"detail": f"Key {key} is not valid"})
    )
    _, url = await bot.command("list")
    [reply] = await slack.wait_for(lambda: slack.response_posts(url))
    assert REDACTED in message_text(reply)
    # Through the job's result: an invitation refused, quoting the key. Nothing new was
    # made, so the inviter is told privately (the response_url), and the channel nothing.
    gencove_faults.inject(
        "POST", INVITATIONS, Fault.status(400, {"email": [f"{key} may not invite this"]})
    )
    _, url = await bot.command("invite ana@lab.org")
    [told] = await slack.wait_for(lambda: slack.response_posts(url))
    assert REDACTED in message_text(told)
    assert not slack.calls_to("chat.postMessage")
    assert key not in slack.all_text()
