"""Files the bot shares (slack/uploads.py), through the local Slack: a file streamed to
Slack's upload URL arrives whole and redacted; the bytes' POST is tried again while the
upload URL is busy, not when it refuses; the temporary copy never stays behind."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.config.logs import REDACTED, RedactSecrets
from invite_bot.playground.slack import FakeSlack
from invite_bot.playground.slack.records import Call, JSONDict
from invite_bot.slack.outbound import Outbound
from invite_bot.slack.trust import response_hosts
from tests.support.harness import BOT_TOKEN
from tests.support.served import free_port

SECRET = "gencove-org-key-0123456789"
CHANNEL = "C_GENERAL"


class BusyUploads:
    """The local Slack's interceptor for these tests: the upload URL files.getUploadURLExternal
    hands out is replaced by a server of the test's, which answers `statuses` first (one per
    POST, counted), then passes the bytes on to the real one."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.posts = 0
        self.real: str | None = None
        self.url = ""

    async def before(self, request: web.Request, call: Call) -> web.StreamResponse | None:
        return None

    async def after(
        self, request: web.Request, call: Call, body: JSONDict
    ) -> web.StreamResponse | None:
        if call.method == "files.getUploadURLExternal" and body.get("ok"):
            self.real = str(body["upload_url"])
            return web.json_response({**body, "upload_url": self.url})
        return None

    def reset(self) -> None:
        return None

    async def upload(self, request: web.Request) -> web.StreamResponse:
        self.posts += 1
        data = await request.read()
        if self.statuses:
            return web.Response(status=self.statuses.pop(0), text="busy")
        assert self.real is not None
        async with aiohttp.ClientSession() as session, session.post(self.real, data=data) as got:
            return web.Response(status=got.status, text=await got.text())


@pytest.fixture
async def outbound(slack: FakeSlack) -> AsyncIterator[Outbound]:
    client = AsyncWebClient(
        token=BOT_TOKEN, base_url=slack.api_url, session=aiohttp.ClientSession()
    )
    try:
        yield Outbound(
            client, redactor=RedactSecrets([SECRET]), response_hosts=response_hosts(slack.api_url)
        )
    finally:
        assert client.session is not None
        await client.session.close()


@pytest.fixture
async def busy(slack: FakeSlack, request: pytest.FixtureRequest) -> AsyncIterator[BusyUploads]:
    uploads = BusyUploads(list(request.param))
    app = web.Application()
    app.router.add_post("/upload", uploads.upload)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    uploads.url = f"http://127.0.0.1:{port}/upload"
    slack.interceptor = uploads
    try:
        yield uploads
    finally:
        slack.interceptor = None
        await runner.cleanup()


def _log(tmp_path: Path, rows: int) -> Path:
    source = tmp_path / "audit.csv"
    rows_text = (
        f"{i},2026-12-0{1 + i % 9},ana@lab.org,invite,{SECRET if i == 7 else 'ok'}\n"
        for i in range(rows)
    )
    source.write_text("".join(rows_text), encoding="utf-8")
    return source


@pytest.fixture
def temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where this test's temporary files go (tempfile's folder), to see what is left."""
    folder = tmp_path / "temporary"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


async def _share(outbound: Outbound, source: Path) -> Any:
    return await outbound.uploads.share_file(
        CHANNEL, source, filename="audit.csv", title="Audit", comment="The audit log"
    )


@pytest.mark.parametrize("busy", [[503, 503]], indirect=True)
async def test_a_busy_upload_url_is_tried_again_and_the_file_arrives_whole_and_redacted(
    slack: FakeSlack, outbound: Outbound, busy: BusyUploads, tmp_path: Path, temporary: Path
) -> None:
    source = _log(tmp_path, 5000)
    assert await _share(outbound, source) is None
    assert busy.posts == 3
    [shared] = slack.files.uploaded_by_bot()
    assert shared.text == source.read_text(encoding="utf-8").replace(SECRET, REDACTED)
    assert CHANNEL in shared.channels
    assert list(temporary.iterdir()) == []


@pytest.mark.parametrize("busy", [[413]], indirect=True)
async def test_an_upload_url_that_refuses_is_not_asked_again_and_nothing_is_shared(
    slack: FakeSlack, outbound: Outbound, busy: BusyUploads, tmp_path: Path, temporary: Path
) -> None:
    failure = await _share(outbound, _log(tmp_path, 10))
    assert failure is not None
    assert failure.outcome == "refused"
    assert busy.posts == 1
    assert slack.files.uploaded_by_bot() == []
    assert list(temporary.iterdir()) == []
