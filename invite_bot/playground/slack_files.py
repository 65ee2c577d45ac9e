"""Files in the local Slack: what people share with the bot, and what the bot uploads.

A person's file (`SlackFiles.add`, or `POST /_fake/files`) is hosted at a loopback
`url_private` that, like Slack's, serves the bytes only with the bot token in an
`Authorization: Bearer` header, and is described by `files.info`. The bot uploads the way
Slack wants since 2024 (slack_sdk's `files_upload_v2`): `files.getUploadURLExternal` gives
an upload URL (here on loopback), the bytes are POSTed to it, and
`files.completeUploadExternal` shares the file in a channel or thread. Every file is kept
in `files`, so a test can read what the bot uploaded.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

JSONDict = dict[str, Any]
MAX_UPLOAD = 1024 * 1024 * 1024  # Slack's per-file limit (1 GB)
DOWNLOAD_PIECE = 16 * 1024  # bytes a download sends at a time
DOWNLOAD_PAUSE = 0.002  # seconds between a download's pieces


class FileError(Exception):
    """A files.* call Slack would answer `{"ok": false, "error": error}`."""

    def __init__(self, error: str, *, violation: bool = False, detail: str = "") -> None:
        super().__init__(error)
        self.error = error
        self.violation = violation
        self.detail = detail


@dataclass
class SlackFile:
    """One file: shared by a person (`user`), or uploaded by the bot (`by_bot`)."""

    id: str
    name: str
    title: str
    user: str
    content: bytes | None  # None until the bot's upload has arrived
    length: int
    mimetype: str = "text/csv"
    filetype: str = "csv"
    created: int = field(default_factory=lambda: int(time.time()))
    by_bot: bool = False
    upload_key: str | None = None
    completed: bool = False
    channels: list[str] = field(default_factory=list)
    thread_ts: str | None = None
    initial_comment: str | None = None
    downloads: int = 0  # successful downloads of url_private
    shared_at: float | None = None  # wall-clock seconds it was shared in its channels
    message_ts: str | None = None  # shared with a person's message: shown in that message
    share_ts: str | None = None  # the bot's upload: the ts of the message Slack made for it

    @property
    def shown_in_channels(self) -> bool:
        """Whether people see it in a conversation: complete, and shared somewhere (a
        file given only to a modal's file field is in no channel)."""
        return self.completed and self.content is not None and bool(self.channels)

    @property
    def text(self) -> str:
        return (self.content or b"").decode("utf-8-sig")


class SlackFiles:
    """The files part of the local Slack; `base_url` and `tokens` are the server's."""

    def __init__(self, base_url: Callable[[], str], tokens: Callable[[], set[str]], team: str):
        self._base_url = base_url
        self._tokens = tokens
        self._team = team
        self._ids = itertools.count(1)
        self.files: dict[str, SlackFile] = {}
        self.download_piece = DOWNLOAD_PIECE

    def reset(self) -> None:
        self.files = {}

    # -- what people do --------------------------------------------------

    def add(
        self,
        name: str,
        content: bytes,
        *,
        user: str,
        mimetype: str = "text/csv",
        filetype: str | None = None,
        channel: str | None = None,
    ) -> SlackFile:
        """A file a person uploaded (into `channel`, e.g. their DM with the bot)."""
        found = SlackFile(
            id=self._new_id(),
            name=name,
            title=name,
            user=user,
            content=content,
            length=len(content),
            mimetype=mimetype,
            filetype=filetype or (name.rsplit(".", 1)[-1].lower() if "." in name else "text"),
            completed=True,
            channels=[channel] if channel else [],
            shared_at=time.time() if channel else None,
        )
        self.files[found.id] = found
        return found

    def uploaded_by_bot(self) -> list[SlackFile]:
        return [f for f in self.files.values() if f.by_bot and f.completed]

    def _new_id(self) -> str:
        return f"F{next(self._ids):09d}"

    def url_private(self, found: SlackFile) -> str:
        return f"{self._base_url()}/files-pri/{self._team}-{found.id}/{found.name}"

    def describe(self, found: SlackFile) -> JSONDict:
        """A file object as Slack's API gives it."""
        url = self.url_private(found)
        return {
            "id": found.id,
            "created": found.created,
            "timestamp": found.created,
            "name": found.name,
            "title": found.title,
            "mimetype": found.mimetype,
            "filetype": found.filetype,
            "pretty_type": found.filetype.upper(),
            "user": found.user,
            "user_team": self._team,
            "editable": False,
            "size": found.length,
            "mode": "hosted",
            "is_external": False,
            "is_public": False,
            "url_private": url,
            "url_private_download": url + "?download=1",
            "channels": [c for c in found.channels if c.startswith("C")],
            "groups": [c for c in found.channels if c.startswith("G")],
            "ims": [c for c in found.channels if c.startswith("D")],
        }

    # -- Web API methods ---------------------------------------------------

    def files_info(self, args: JSONDict) -> JSONDict:
        found = self.files.get(str(args.get("file") or ""))
        if found is None or not found.completed:
            raise FileError("file_not_found")
        return {"file": self.describe(found), "comments": [], "response_metadata": {}}

    def get_upload_url(self, args: JSONDict) -> JSONDict:
        name = args.get("filename")
        if not isinstance(name, str) or not name:
            raise FileError("invalid_arguments", violation=True, detail="filename is missing")
        try:
            length = int(args.get("length") or -1)
        except (TypeError, ValueError):
            length = -1
        if length < 1 or length > MAX_UPLOAD:
            raise FileError("invalid_arguments", violation=True, detail=f"length {length!r}")
        key = uuid.uuid4().hex
        found = SlackFile(
            id=self._new_id(),
            name=name,
            title=name,
            user="bot",
            content=None,
            length=length,
            mimetype="text/csv" if name.endswith(".csv") else "application/octet-stream",
            filetype=name.rsplit(".", 1)[-1].lower() if "." in name else "binary",
            by_bot=True,
            upload_key=key,
        )
        self.files[found.id] = found
        return {"upload_url": f"{self._base_url()}/upload/v1/{key}", "file_id": found.id}

    def complete_upload(self, args: JSONDict, *, has_channel: Callable[[str], bool]) -> JSONDict:
        raw = args.get("files")
        try:
            entries = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            entries = None
        if not isinstance(entries, list) or not entries:
            raise FileError("invalid_arguments", violation=True, detail="files is not a list")
        channel = args.get("channel_id") or None
        channels = [c for c in str(args.get("channels") or "").split(",") if c]
        if channel:
            channels.append(str(channel))
        thread_ts = args.get("thread_ts") or None
        if thread_ts and not channels:
            raise FileError("invalid_arguments", violation=True, detail="thread_ts needs a channel")
        for target in channels:
            if not has_channel(target):
                raise FileError("channel_not_found")
        done: list[JSONDict] = []
        for entry in entries:
            if not isinstance(entry, Mapping):
                raise FileError(
                    "invalid_arguments", violation=True, detail="a file is not an object"
                )
            found = self.files.get(str(entry.get("id") or ""))
            if found is None or not found.by_bot:
                raise FileError("file_not_found")
            if found.content is None:
                raise FileError("file_upload_not_complete", violation=True, detail=found.id)
            found.completed = True
            found.title = str(entry.get("title") or found.name)
            found.channels = channels
            found.thread_ts = str(thread_ts) if thread_ts else None
            found.initial_comment = args.get("initial_comment") or None
            found.shared_at = time.time()
            found.share_ts = f"{found.shared_at:.6f}"
            done.append({"id": found.id, "title": found.title})
        return {"files": done}

    # -- HTTP routes beside the API ------------------------------------------

    def routes(self) -> list[tuple[str, str, Callable[[web.Request], Any]]]:
        return [
            ("GET", "/files-pri/{team_file}/{name}", self._download),
            ("POST", "/upload/v1/{key}", self._upload),
        ]

    async def _download(self, request: web.Request) -> web.StreamResponse:
        auth = request.headers.get("Authorization", "")
        token = auth[len("Bearer ") :].strip() if auth.startswith("Bearer ") else ""
        if token not in self._tokens():
            # Slack sends a sign-in page to a request without the token: never the bytes.
            return web.Response(status=403, text="sign in to see this file")
        _, _, file_id = request.match_info["team_file"].partition("-")
        found = self.files.get(file_id)
        if found is None or found.content is None or found.name != request.match_info["name"]:
            return web.Response(status=404, text="not found")
        found.downloads += 1
        response = web.StreamResponse(headers={"Content-Type": found.mimetype})
        response.content_length = len(found.content)
        await response.prepare(request)
        # In pieces, a moment apart, as a network delivers them: one read() on the other
        # end returns what has arrived, never more.
        try:
            for start in range(0, len(found.content), self.download_piece):
                if start:
                    await asyncio.sleep(DOWNLOAD_PAUSE)
                await response.write(found.content[start : start + self.download_piece])
            await response.write_eof()
        except ConnectionResetError:
            pass  # the client stopped reading: its choice
        return response

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info["key"]
        found = next((f for f in self.files.values() if f.upload_key == key), None)
        if found is None:
            return web.Response(status=404, text="unknown upload URL")
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            part = await reader.next()
            data = await part.read() if part is not None and hasattr(part, "read") else b""
        else:
            data = await request.read()
        if len(data) != found.length:
            return web.Response(status=400, text=f"expected {found.length} bytes, got {len(data)}")
        found.content = bytes(data)
        return web.Response(text=f"OK - {len(data)}")
