"""Where an invitation create waits for its turn at the organization's pace.

The pace itself (how fast, learnt from Gencove's 201s and 429s) is the pure
`invite_bot.domain.pacing.Pacer`; this is its one asynchronous side: creates that may not
go yet queue here, and one timer lets the next one through when its turn comes. While
Gencove has not answered 429 (no limit, or a single invite) a create passes straight on.

Who goes first when several wait: a create already under way (its earlier try was
throttled: it has waited out its `Retry-After` and its deadline runs), then a person's own
invite, then a background job's (a bulk invite, which says so with `in_background`), each
in the order they came. A create waits before it takes one of the client's slots, so
member look-ups and listings go on meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from typing import Literal

from invite_bot.domain.pacing import Pacer
from invite_bot.gencove.errors import (
    GencoveRateLimited,
)
from invite_bot.gencove.observe import operation_of
from invite_bot.gencove.wire import (
    Deadline,
    Slots,
)

__all__ = ["CreatePace", "in_background"]

log = logging.getLogger("invite_bot.gencove.client")  # the client's one logger

NO_TURN = "Gencove is throttling invitations; there was no time left to send this one."

_BACKGROUND: ContextVar[bool] = ContextVar("gencove_background_creates", default=False)

UNDER_WAY, PERSON, BACKGROUND = 0, 1, 2  # who goes first

# How a create's wait ended: let through while nothing is paced, let through at its turn,
# or its turn would come too late.
Turn = Literal["free", "paced", "late"]


@contextlib.contextmanager
def in_background() -> Iterator[None]:
    """Creates made inside this block (by this task) are a background job's: when the
    pace holds creates back, a person's own invite goes before them."""
    token = _BACKGROUND.set(True)
    try:
        yield
    finally:
        _BACKGROUND.reset(token)


class CreatePace:
    """One organization's creates, let through at its `Pacer`'s pace."""

    def __init__(self, pacer: Pacer | None = None) -> None:
        self.pacer = pacer or Pacer()
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    @property
    def waiting(self) -> int:
        """Creates waiting for their turn now."""
        return sum(1 for _, _, future in self._waiting if not future.done())

    @contextlib.asynccontextmanager
    async def slot(
        self, slots: Slots, deadline: Deadline, *, whole_try: float
    ) -> AsyncIterator[None]:
        """One of the client's `slots` for a create, once its turn has come.

        A try of a create under way (its `deadline` runs) goes first, and only while a
        whole try (`whole_try` seconds) still fits after its turn: else it is refused
        here as throttled, never sent with a sliver of time. A create let through while
        nothing was paced that finds, once it has a slot, that Gencove answered 429
        meanwhile gives the slot back and waits for its turn."""
        while True:
            if deadline.end is None:
                turn = await self.turn(under_way=False)
            else:
                turn = await self.turn(under_way=True, latest=deadline.end - whole_try)
            if turn == "late":
                log.info("gencove create: its turn at Gencove's pace would come too late")
                raise GencoveRateLimited(NO_TURN, retry_after=None)
            async with slots.take(False):
                if turn == "free" and self.pacer.paced:
                    continue
                yield
                return

    async def turn(self, *, under_way: bool, latest: float | None = None) -> Turn:
        """Wait until this create may be sent: "free" (nothing is paced) or "paced"; or
        "late" when its turn would come after `latest` (a `time.monotonic()` moment;
        None: no limit): then it must not go."""
        if not self._waiting and self.pacer.delay(time.monotonic()) <= 0:
            free = not self.pacer.paced
            self.pacer.sent(time.monotonic())
            return "free" if free else "paced"
        who = UNDER_WAY if under_way else BACKGROUND if _BACKGROUND.get() else PERSON
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (who, next(self._order), future))
        self._let_through()
        try:
            if latest is None:
                await future
            else:
                async with asyncio.timeout(max(0.0, latest - time.monotonic())):
                    await future
        except TimeoutError:
            return "late"  # the future was cancelled with the wait: its place is dropped
        return "paced"

    def answered(self, sent_at: float, status: int, retry_after: float | None) -> None:
        """Gencove's answer to a create sent at `sent_at`: 201s and 429s set the pace."""
        if 200 <= status < 300:
            self.pacer.accepted(sent_at)
        elif status == 429:
            self.pacer.refused(sent_at, time.monotonic(), retry_after)

    def _let_through(self) -> None:
        """Let every create whose turn has come go; wake up again for the next one."""
        if self._timer is not None:
            return  # already set for the next turn; it looks again then
        while self._waiting:
            now = time.monotonic()
            wait = self.pacer.delay(now)
            if wait > 0:
                loop = asyncio.get_running_loop()
                self._timer = loop.call_later(wait, self._woken)
                return
            _, _, future = heapq.heappop(self._waiting)
            if future.done():
                continue  # its wait was cancelled
            self.pacer.sent(now)
            future.set_result(None)

    def _woken(self) -> None:
        self._timer = None
        self._let_through()


def is_create(method: str, path: str) -> bool:
    """An invitation create: the request Gencove limits, so the one that is paced."""
    return method == "POST" and operation_of(method, path) == "create_invitation"
