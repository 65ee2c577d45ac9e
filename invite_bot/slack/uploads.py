"""Files the bot shares (a bulk invite's report, an audit export), their text redacted like
a message's (reached through `Outbound.uploads`)."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path

from slack_sdk.errors import SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.slack.errors import SLACK_FAILURES, SlackFailure, classify


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
        """The text file `source` shared in `channel`, redacted like a message: copied line
        by line (off the event loop) to a temporary file, so a large file is never one
        string here; that copy is what Slack gets, then removed."""
        redacted = await asyncio.to_thread(redacted_copy, source, self._redact)
        try:
            await self.client.files_upload_v2(
                channel=channel,
                file=str(redacted),
                filename=filename,
                title=self._redact(title),
                initial_comment=self._redact(comment),
            )
        except SLACK_FAILURES as exc:
            return classify(exc)
        except SlackRequestError:  # the bytes were refused: nothing was shared
            return SlackFailure("later", "upload_refused")
        finally:
            redacted.unlink(missing_ok=True)
        return None


def redacted_copy(source: Path, redact: Callable[[str], str]) -> Path:
    """A redacted copy of the UTF-8 text file `source`, written line by line to a temporary
    file (the caller removes it). A secret never spans lines: each is redacted whole."""
    with (
        source.open(encoding="utf-8", newline="") as reading,
        tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", newline="", suffix=source.suffix, delete=False
        ) as writing,
    ):
        for line in reading:
            writing.write(redact(line))
    return Path(writing.name)
