"""Help, list, the invite modal, notify, the manifest and /healthz."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from tests.support.blocks_text import block_text
from tests.support.harness import ADMIN, BotUnderTest

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = ROOT / "tests" / "specs" / "slack-manifest.schema.1.0.0.json"


async def test_help_lists_every_subcommand_and_names_an_unknown_word(bot: BotUnderTest) -> None:
    answer, _ = await bot.command("frobnicate <!channel>")
    reply = answer.json()
    assert reply["response_type"] == "ephemeral"
    assert "frobnicate" in reply["text"]
    for word in ("invite", "list", "revoke", "accept", "link", "unlink", "whoami", "notify"):
        assert word in reply["text"]
    plain, _ = await bot.command("")
    assert "invite" in plain.json()["text"]


async def test_list_shows_twenty_a_page_with_next_and_previous(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    for i in range(25):
        gencove.add_invitation(f"person{i:02d}@lab.org")
    _, url = await bot.command("list")
    await slack.wait_for(lambda: slack.response_posts(url))
    first = slack.response_posts(url)[0]
    assert first["response_type"] == "ephemeral"
    assert "25 pending invitations" in block_text(first["blocks"], "list_header")
    rows = [b for b in first["blocks"] if b.get("block_id", "").startswith("inv:")]
    assert len(rows) == 20
    assert all(b["accessory"]["action_id"] == "revoke_invitation" for b in rows)
    nav = next(b for b in first["blocks"] if b["type"] == "actions")
    next_button = next(e for e in nav["elements"] if e["text"]["text"] == "Next")
    _, page_url = await bot.click(
        next_button["action_id"], value=next_button["value"], container="ephemeral"
    )
    await slack.wait_for(lambda: slack.response_posts(page_url))
    second = slack.response_posts(page_url)[0]
    assert second["replace_original"] is True
    rows = [b for b in second["blocks"] if b.get("block_id", "").startswith("inv:")]
    assert len(rows) == 5
    labels = [
        e["text"]["text"] for b in second["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert labels == ["Previous"]


async def test_revoke_from_the_list_refreshes_the_page(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    ana = gencove.add_invitation("ana@lab.org")
    _, url = await bot.command("list")
    await slack.wait_for(lambda: slack.response_posts(url))
    row = next(
        b for b in slack.response_posts(url)[0]["blocks"] if b.get("block_id") == f"inv:{ana.id}"
    )
    _, click_url = await bot.click(
        "revoke_invitation", value=row["accessory"]["value"], container="ephemeral"
    )
    await slack.wait_for(lambda: slack.response_posts(click_url))
    assert ana.status == "revoked"
    assert "no pending invitations" in slack.response_posts(click_url)[0]["text"].lower()


async def test_invite_without_address_opens_a_modal_with_roles(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    await bot.command("invite")
    await slack.wait_for(lambda: slack.calls_to("views.update") or slack.calls_to("views.open"))
    await slack.wait_for(lambda: slack.calls_to("views.update"))
    view = slack.calls_to("views.update")[-1].args["view"]
    role_block = next(b for b in view["blocks"] if b.get("block_id") == "role")
    names = [o["value"] for o in role_block["element"]["options"]]
    assert "member" in names


async def test_modal_shows_a_bad_address_on_the_field_and_invites_good_ones(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    bad = await bot.submit(
        "invite_modal",
        {"addresses": {"addresses_input": "ana@lab.org\nnope"}},
        private_metadata=json.dumps({"channel_id": "C_GENERAL"}),
    )
    reply = bad.json()
    assert reply["response_action"] == "errors"
    assert "nope" in reply["errors"]["addresses"]
    assert gencove.count("*", "/api/v2/invitations") == 0
    good = await bot.submit(
        "invite_modal",
        {"addresses": {"addresses_input": "ana@lab.org\nbob@lab.org"}},
        private_metadata=json.dumps({"channel_id": "C_GENERAL"}),
    )
    assert good.status == 200
    await slack.wait_for(lambda: slack.calls_to("chat.postMessage"))
    assert gencove.count("POST", "/api/v2/invitations/") == 2


async def test_notify_here_off_and_show(bot: BotUnderTest, slack: FakeSlack) -> None:
    _, url = await bot.command("notify here", channel="C_NEWS")
    await slack.wait_for(lambda: slack.response_posts(url))
    assert "will get a message" in slack.response_posts(url)[0]["text"]
    _, url = await bot.command("notify")
    await slack.wait_for(lambda: slack.response_posts(url))
    assert "<#C_NEWS>" in slack.response_posts(url)[0]["text"]
    _, url = await bot.command("notify off", channel="C_NEWS")
    await slack.wait_for(lambda: slack.response_posts(url))
    assert "no longer" in slack.response_posts(url)[0]["text"]
    assert await bot.store.read(lambda tx: tx.subscriptions.all()) == []


async def test_group_members_listed_in_invite_admins_may_invite(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    from tests.support.harness import running_bot, sqlite_url

    slack.usergroups["S0LEADS01"] = ["U0LEAD001"]
    slack.add_user("U0LEAD001", name="lea")
    async with running_bot(
        gencove, slack, sqlite_url(tmp_path), INVITE_ADMINS="S0LEADS01"
    ) as under_test:
        await under_test.command("invite ana@lab.org", user="U0LEAD001")
        await slack.wait_for(lambda: slack.calls_to("chat.postMessage"))
        _, url = await under_test.command("invite bob@lab.org", user=ADMIN)
        await slack.wait_for(lambda: slack.response_posts(url))
        # Not in the group: the invite becomes a request to the group's one member.
        assert "Asked the inviters" in slack.response_posts(url)[0]["text"]
        await slack.wait_for(lambda: slack.messages_in("D0LEAD001"))
    assert gencove.count("POST", "/api/v2/invitations/") == 1


def test_manifest_is_valid_against_slacks_schema() -> None:
    manifest = yaml.safe_load((ROOT / "app_manifest.yml").read_text())
    schema = json.loads(SCHEMA.read_text())
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(manifest)]
    assert errors == []
    assert manifest["features"]["slash_commands"][0]["command"] == "/gencove"
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert "commands" in manifest["oauth_config"]["scopes"]["bot"]


async def test_healthz_answers_when_the_database_is_reachable(bot: BotUnderTest) -> None:
    async with bot.session.get(bot.url.replace("/slack/events", "/healthz")) as response:
        assert response.status == 200
        assert (await response.json())["database"] == "reachable"


async def test_invite_modal_says_when_a_typed_role_is_not_a_role(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    _, url = await bot.command("invite --role wizard")
    await slack.wait_for(lambda: slack.response_posts(url))
    note = slack.response_posts(url)[0]["text"]
    assert "`wizard` is not one of the organization's roles" in note
    assert "member" in note
    assert slack.calls_to("views.open")
