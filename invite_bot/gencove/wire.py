"""What every request to Gencove is bounded by: its identifiers, its body size, its
deadline and its share of the connection slots.

* Identifiers: every value that goes into a URL path is checked and quoted here, so a
  hostile id (`../../user/`) can never turn a revoke into a request elsewhere with the
  organization key. Invitation ids must be UUIDs; tokens plain tokens, not only dots.
* Body size: an answer is read in chunks up to a cap (4 MiB for lists, 256 KiB for one
  object); a longer one is refused without being read whole into memory.
* Deadline: one per call, across all of its tries, its back-off and its wait for a slot.
* Slots: `GENCOVE_MAX_CONCURRENCY` in all, of which listing reads (the big, slow ones)
  may hold all but a reserved share, so writes, accepts and single-object reads always
  find a slot even while Gencove drips a listing.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Protocol
from urllib.parse import quote

from invite_bot.gencove.errors import GencoveInvalidId

LIST_BODY_CAP = 4 * 1024 * 1024
OBJECT_BODY_CAP = 256 * 1024
ERROR_CAP = OBJECT_BODY_CAP  # an error answer is read for its message only
CHUNK = 64 * 1024
MAX_SEGMENT = 1024

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_TOKEN = re.compile(rf"[A-Za-z0-9._~:+=-]{{1,{MAX_SEGMENT}}}")


# -- identifiers --------------------------------------------------------------------------


def invitation_id_segment(invitation_id: str) -> str:
    """The canonical form of an invitation id for a URL path; GencoveInvalidId unless it
    is a UUID written the usual way (8-4-4-4-12 hex digits)."""
    if not isinstance(invitation_id, str) or not _UUID.fullmatch(invitation_id):
        raise GencoveInvalidId("That is not a Gencove invitation id.")
    return str(uuid.UUID(invitation_id))


def segment(value: str, what: str = "value") -> str:
    """`value` quoted as ONE path segment; GencoveInvalidId unless it is a plain token:
    1 to 1024 of `A-Z a-z 0-9 . _ ~ : + = -`, not only dots (`.` and `..` are resolved by
    URL libraries and proxies, even percent-encoded; so may be an encoded `/`)."""
    if not isinstance(value, str) or not _TOKEN.fullmatch(value) or value.strip(".") == "":
        raise GencoveInvalidId(f"That is not a valid {what}.")
    return quote(value, safe="")


def shown(path: str) -> str:
    """The path for logs: an invitation token is half a secret, so it is left out."""
    head, marker, _token = path.partition("/invitations-token/")
    return f"{head}{marker}…" if marker else path


# -- body size ----------------------------------------------------------------------------


class BodyTooLarge(Exception):
    """The answer is longer than the cap (internal: the client turns it into an error)."""


class _Chunks(Protocol):
    def iter_chunked(self, n: int) -> AsyncIterator[bytes]: ...


class _Response(Protocol):
    @property
    def content_length(self) -> int | None: ...

    @property
    def content(self) -> _Chunks: ...


async def read_capped(response: _Response, cap: int) -> bytes:
    """The whole body, read in chunks; BodyTooLarge as soon as it (or the length it
    announces) passes `cap` bytes, having held at most `cap` + one chunk."""
    declared = response.content_length
    if declared is not None and declared > cap:
        raise BodyTooLarge
    body = bytearray()
    async for chunk in response.content.iter_chunked(CHUNK):
        body += chunk
        if len(body) > cap:
            raise BodyTooLarge
    return bytes(body)


# -- deadline -----------------------------------------------------------------------------


class Deadline:
    """How long a whole call may take, all its tries included, counted from the moment its
    first try gets one of this process's slots (`start`): a call queued behind the bot's
    own other requests (a long invite job) is not Gencove being slow, and must not fail
    for it; each slot holder's try is bounded, so the queue moves."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end: float | None = None  # time.monotonic() by which the call must be over

    def start(self) -> None:
        """The first try is about to be sent: the clock runs from now (once)."""
        if self.end is None:
            self.end = time.monotonic() + self.seconds

    def remaining(self) -> float:
        return self.seconds if self.end is None else self.end - time.monotonic()


# -- slots --------------------------------------------------------------------------------


class Slots:
    """`total` requests in flight at most; listing reads at most `total - reserved`.

    With one slot in all nothing can be reserved; from two on, a quarter (at least one)
    is kept for everything that is not a listing read.
    """

    def __init__(self, total: int) -> None:
        if total < 1:
            raise ValueError("max_concurrency must be at least 1")
        self.total = total
        self.reserved = 0 if total < 2 else max(1, total // 4)
        self._all = asyncio.Semaphore(total)
        self._lists = asyncio.Semaphore(total - self.reserved)

    @contextlib.asynccontextmanager
    async def take(self, listing: bool) -> AsyncIterator[None]:
        if listing:
            async with self._lists, self._all:
                yield
        else:
            async with self._all:
                yield
