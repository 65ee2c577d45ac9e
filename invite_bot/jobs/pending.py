"""Gencove's pending invitations by address, one read shared by the jobs that need it.

Every invite job reads Gencove's pending list once, after it has claimed its addresses,
to find invitations the store has never seen (made in Gencove's web app, or by another
replica). Ten jobs at once would make ten identical reads, each parsing the whole list.
Here they share one, under the one rule that keeps the duplicate guard whole: a job uses
only a read that *began after its claims were taken* (so whatever another job made and
recorded before letting those addresses go is in it). A job that arrives while a read is
under way which began too early waits for the next one; all such jobs share that next
read, so at most two are ever in flight. A read's rows are parsed only for the addresses
looked up (`invite_bot.gencove.by_address`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

from invite_bot.gencove import GencoveClient, GencoveError, Invitation

log = logging.getLogger(__name__)

Pending = Mapping[str, Invitation]  # by lower-cased address; each parsed when looked up


class PendingList:
    """The shared reads of one Gencove organization's pending list."""

    def __init__(self, gencove: GencoveClient) -> None:
        self._gencove = gencove
        self._current: asyncio.Task[Pending | None] | None = None
        self._current_began = 0.0  # time.monotonic() when the current read was sent
        self._next: asyncio.Future[Pending | None] | None = None

    async def read_after(self, claimed_at: float) -> Pending | None:
        """Gencove's pending list as read after `claimed_at` (time.monotonic()), or None
        when Gencove could not say (the caller then asks per address)."""
        current = self._current
        if current is None or current.done():
            return await asyncio.shield(self._begin())
        if self._current_began >= claimed_at:
            return await asyncio.shield(current)
        if self._next is None:
            self._next = asyncio.ensure_future(self._after(current))
        return await asyncio.shield(self._next)

    def _begin(self) -> asyncio.Task[Pending | None]:
        self._current_began = time.monotonic()
        self._current = asyncio.create_task(self._read())
        return self._current

    async def _after(self, earlier: asyncio.Task[Pending | None]) -> Pending | None:
        await asyncio.wait([earlier])
        self._next = None
        return await self._begin()

    async def _read(self) -> Pending | None:
        try:
            return await self._gencove.pending_by_address()
        except GencoveError as exc:
            log.info("pending list unavailable (%s); asking per address", exc.message)
            return None
