"""Files the bot shares (a bulk invite's report, an audit export), their text redacted like
a message's (reached through `Outbound.uploads`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import aiohttp
from slack_sdk.errors import SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.slack.errors import SLACK_FAILURES, SlackFailure, classify, from_status

UPLOAD_TIMEOUT = 300  # seconds for a file's bytes to reach Slack
UPLOAD_TRIES = 3  # of the bytes' POST, while Slack is busy or the connection fails


class Uploads:
    def __init__(self, client: AsyncWebClient, redact: Callable[[str], str]) -> None:
        self.client = client
        self._redact = redact  # a text, redacted (Outbound's)

    async def share(
        self,
        channel: str,
        content: bytes,
        *,
        filename: str,
        title: str,
        comment: str,
        thread_ts: str | None = None,
    ) -> SlackFailure | None:
        """A file shared in `channel` (a thread of it); its text redacted like a message.
        Its first two steps (an upload URL, the bytes) are repeated by the client's retry
        policy (`retries.py`); the last, which shares it, is not: an answer that cannot be
        read means it may be there (look for `filename` before uploading again)."""
        text = self._redact(content.decode("utf-8", errors="replace")).encode()
        try:
            await self.client.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts,
                content=text,
                filename=filename,
                title=self._redact(title),
                initial_comment=self._redact(comment),
            )
        except SLACK_FAILURES as exc:
            return classify(exc)
        except SlackRequestError:  # the bytes were refused: nothing was shared
            return SlackFailure("later", "upload_refused")
        return None

    async def share_file(
        self, channel: str, source: Path, *, filename: str, title: str, comment: str
    ) -> SlackFailure | None:
        """The text file `source` shared in `channel`, redacted like a message, and never
        one string here: copied line by line (off the event loop) to a temporary file,
        whose bytes then stream to Slack's upload URL (Slack's three upload steps, as
        `files_upload_v2` takes them, but without reading the file into memory). The copy
        is removed however this ends (a failure, or a cancellation mid-copy)."""
        handle, name = tempfile.mkstemp(suffix=source.suffix)
        os.close(handle)
        redacted = Path(name)
        try:
            size = await asyncio.to_thread(write_redacted, source, redacted, self._redact)
            return await self._streamed(channel, redacted, size, filename, title, comment)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)  # a quick call; also when cancelled mid-copy

    async def _streamed(
        self, channel: str, path: Path, size: int, filename: str, title: str, comment: str
    ) -> SlackFailure | None:
        try:
            target = await self.client.files_getUploadURLExternal(filename=filename, length=size)
        except SLACK_FAILURES as exc:
            return classify(exc)
        url, file_id = target.get("upload_url"), target.get("file_id")
        if not isinstance(url, str) or not isinstance(file_id, str):
            return SlackFailure("later", "unreadable_answer")
        failure = await self._send(url, path)
        if failure is not None:
            return failure
        try:  # shares it: not repeated (an unreadable answer may mean it is there)
            await self.client.files_completeUploadExternal(
                files=[{"id": file_id, "title": self._redact(title)}],
                channel_id=channel,
                initial_comment=self._redact(comment),
            )
        except SLACK_FAILURES as exc:
            return classify(exc)
        return None

    async def _send(self, url: str, path: Path) -> SlackFailure | None:
        """The file's bytes to Slack's upload URL, tried again (a moment apart) while Slack
        is busy or the connection fails: nothing is shared before the last step."""
        session = self.client.session or aiohttp.ClientSession()
        try:
            failure: SlackFailure | None = None
            for attempt in range(UPLOAD_TRIES):
                if attempt:
                    await asyncio.sleep(attempt)
                failure = await self._post_bytes(session, url, path)
                if failure is None or failure.outcome == "refused":
                    return failure
            return failure
        finally:
            if session is not self.client.session:
                await session.close()

    async def _post_bytes(
        self, session: aiohttp.ClientSession, url: str, path: Path
    ) -> SlackFailure | None:
        """One POST of the file (aiohttp reads it in pieces, on a worker thread), through
        the client's proxy and TLS settings, as its other calls go."""
        try:
            with path.open("rb") as body:
                async with session.post(
                    url,
                    data=body,
                    headers={"Content-Type": "application/octet-stream"},
                    proxy=self.client.proxy,
                    ssl=self.client.ssl if self.client.ssl is not None else True,
                    timeout=aiohttp.ClientTimeout(total=UPLOAD_TIMEOUT),
                ) as answer:
                    if answer.status == 200:
                        return None
                    failure = from_status(answer.status, {"error": "upload_refused"})
        except (aiohttp.ClientError, TimeoutError):
            return SlackFailure("later", "upload_failed")
        # Refused (a 4xx) stays refused; busy or unsure is safe to try again later.
        return failure if failure.outcome == "refused" else replace(failure, outcome="later")


def write_redacted(source: Path, target: Path, redact: Callable[[str], str]) -> int:
    """Write the UTF-8 text file `source`, redacted line by line, to `target`; its size in
    bytes. A secret never spans lines: each is redacted whole."""
    with (
        source.open(encoding="utf-8", newline="") as reading,
        target.open("w", encoding="utf-8", newline="") as writing,
    ):
        for line in reading:
            writing.write(redact(line))
    return target.stat().st_size
