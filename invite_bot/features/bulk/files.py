"""A CSV someone gave the bot, fetched from Slack: `files.info`, then its `url_private`
with the bot token (Slack serves a file's bytes to nothing else)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from pydantic import SecretStr
from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.slack.errors import SLACK_FAILURES, classify

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 2 * 1024 * 1024  # far above 10,000 rows of email,role
TEXT_TYPES = frozenset({"csv", "text", "txt", "tsv"})
SLACK_FILE_HOSTS = frozenset({"files.slack.com"})


@dataclass(frozen=True)
class Fetched:
    """A file's name and bytes, or (`problem`) why it could not be read."""

    name: str
    data: bytes = b""
    problem: str | None = None


class Files:
    """A file someone shared with the bot, fetched from Slack with the bot token."""

    def __init__(self, *, client: AsyncWebClient, bot_token: SecretStr, api_url: str) -> None:
        self.client = client
        self.bot_token = bot_token
        self.api_url = api_url

    async def fetch(self, file_id: str) -> Fetched:
        try:
            answer = await self.client.files_info(file=file_id)
        except SLACK_FAILURES as exc:
            failure = classify(exc)
            log.warning("files.info failed: %s", failure.error)
            return Fetched(
                "the file", problem=f"Slack would not describe the file ({failure.error})."
            )
        info = answer.get("file") or {}
        name = str(info.get("name") or "the file")[:200]
        filetype = str(info.get("filetype") or "").lower()
        if filetype and filetype not in TEXT_TYPES and not name.lower().endswith((".csv", ".txt")):
            return Fetched(name, problem="It is not a CSV file (`email[,role]` per line).")
        size = int(info.get("size") or 0)
        if size > MAX_FILE_BYTES:
            return Fetched(
                name, problem=f"It is {size:,} bytes; a CSV of addresses is far smaller."
            )
        url = str(info.get("url_private_download") or info.get("url_private") or "")
        if not self._slack_host(url):
            log.warning("a file's url_private is not on Slack's host; not fetched")
            return Fetched(name, problem="Slack gave no address to fetch the file from.")
        token = self.bot_token.get_secret_value()
        session = self.client.session
        if session is None:
            return Fetched(name, problem="The file could not be fetched.")
        try:
            async with session.get(
                url,
                headers={"Authorization": f"Bearer {token}"},
                timeout=aiohttp.ClientTimeout(total=30),
                allow_redirects=False,
            ) as response:
                if response.status != 200:
                    log.warning("file download answered HTTP %s", response.status)
                    return Fetched(
                        name, problem=f"Slack would not hand over the file ({response.status})."
                    )
                data = await _read_whole(response)
                announced = response.content_length
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("file download failed (%s)", type(exc).__name__)
            return Fetched(name, problem="The file could not be fetched from Slack. Try again.")
        if data is None:
            return Fetched(name, problem="It is too large for a CSV of addresses.")
        # A file is read whole or not at all: a cut row could be an address nobody wrote.
        for expected in (announced, size or None):
            if expected is not None and expected != len(data):
                log.warning("file download gave %d bytes of %d", len(data), expected)
                return Fetched(
                    name,
                    problem=f"Slack said it has {expected:,} bytes, but {len(data):,} arrived. "
                    "Share it again.",
                )
        return Fetched(name, data)

    def _slack_host(self, url: str) -> bool:
        """Only Slack's file host, or the configured API's (the local Slack), gets the token."""
        parts = urlsplit(url)
        allowed = SLACK_FILE_HOSTS | {urlsplit(self.api_url).hostname or ""}
        if parts.hostname not in allowed:
            return False
        return parts.scheme == "https" or parts.hostname not in SLACK_FILE_HOSTS


async def _read_whole(response: aiohttp.ClientResponse) -> bytes | None:
    """The body to its end, or None once it passes MAX_FILE_BYTES (one `read(n)` returns
    only what has arrived so far)."""
    pieces: list[bytes] = []
    total = 0
    async for piece in response.content.iter_any():
        total += len(piece)
        if total > MAX_FILE_BYTES:
            return None
        pieces.append(piece)
    return b"".join(pieces)
