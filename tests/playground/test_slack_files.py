"""The local Slack's files: url_private with the bot token only, files.info, and the
upload flow slack_sdk's files_upload_v2 uses, each checked against Slack's Web API
document; and the file_input element in its Block Kit checks."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.features.invite.modals import bulk_invite_modal, invite_modal
from invite_bot.playground.slack import FakeSlack, validate_view

TOKEN = "xoxb-files-test"


async def test_a_shared_file_is_described_and_served_only_with_the_bot_token() -> None:
    async with FakeSlack(bot_token=TOKEN) as slack:
        shared = slack.files.add("people.csv", b"ana@lab.org\n", user="U1", channel="D1")
        client = AsyncWebClient(token=TOKEN, base_url=slack.api_url)
        info = (await client.files_info(file=shared.id))["file"]
        with pytest.raises(SlackApiError) as missing:
            await client.files_info(file="F404")
        assert missing.value.response["error"] == "file_not_found"
        assert info["name"] == "people.csv"
        assert info["ims"] == ["D1"]
        url = info["url_private"]
        assert url.startswith(slack.base_url)
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as anonymous:
                assert anonymous.status == 403
                assert b"ana@lab.org" not in await anonymous.read()
            async with session.get(url, headers={"Authorization": f"Bearer {TOKEN}"}) as ok:
                assert ok.status == 200
                assert await ok.read() == b"ana@lab.org\n"
        assert shared.downloads == 1
        assert slack.violations == []


async def test_files_upload_v2_lands_in_the_thread_and_is_kept() -> None:
    async with FakeSlack(bot_token=TOKEN) as slack, aiohttp.ClientSession() as session:
        client = AsyncWebClient(token=TOKEN, base_url=slack.api_url, session=session)
        posted = await client.chat_postMessage(channel="C1", text="the job")
        await client.files_upload_v2(
            channel="C1",
            thread_ts=posted["ts"],
            content=b"address,outcome\r\nana@lab.org,created\r\n",
            filename="report.csv",
            title="Report",
            initial_comment="The report.",
        )
        [uploaded] = slack.files.uploaded_by_bot()
        assert uploaded.text == "address,outcome\r\nana@lab.org,created\r\n"
        assert (uploaded.channels, uploaded.thread_ts) == (["C1"], posted["ts"])
        assert uploaded.initial_comment == "The report."
        methods = [call.method for call in slack.calls]
        assert "files.getUploadURLExternal" in methods
        assert "files.completeUploadExternal" in methods
        assert slack.violations == []  # both known to the Web API document (NEWER_METHODS)


async def test_an_upload_whose_bytes_never_came_is_refused() -> None:
    async with FakeSlack(bot_token=TOKEN) as slack, aiohttp.ClientSession() as session:
        client = AsyncWebClient(token=TOKEN, base_url=slack.api_url, session=session)
        ticket = await client.files_getUploadURLExternal(filename="r.csv", length=10)
        with pytest.raises(SlackApiError) as refused:
            await client.files_completeUploadExternal(
                files=[{"id": ticket["file_id"], "title": "r"}], channel_id="C1"
            )
        assert refused.value.response["error"] == "file_upload_not_complete"
        async with session.post(str(ticket["upload_url"]), data=b"short") as wrong:
            assert wrong.status == 400  # not the length announced
        assert slack.files.uploaded_by_bot() == []


def test_the_invite_modal_with_its_file_field_is_a_valid_view() -> None:
    view = bulk_invite_modal(["member"], default_role=None, metadata="{}").to_dict()
    assert validate_view(view) == []
    [field] = [b for b in view["blocks"] if b.get("block_id") == "csv_file"]
    assert field["element"]["type"] == "file_input"
    assert "csv_file" not in str(invite_modal([], default_role=None, metadata="{}").to_dict())
    field["element"]["max_files"] = 11
    assert any("max_files" in e for e in validate_view(view))
    field["element"]["max_files"] = 1
    field["element"]["filetypes"] = [".csv"]
    assert any("filetypes" in e for e in validate_view(view))
