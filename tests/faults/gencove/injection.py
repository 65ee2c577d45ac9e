"""Which request a fault answers, and how: the queue ``GencoveFaults.inject`` fills, the
seeded random failures of ``fail_rate``, and applying a fault to a request."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

from aiohttp import web

from invite_bot.playground.gencove.replies import Reply
from tests.faults.gencove.faults import (
    DEFAULT_FAIL_KINDS,
    HOSTILE_KINDS,
    Fault,
    fault_reply,
)
from tests.faults.gencove.hostile import Relist, apply_hostile


class Injection:
    """The faults waiting for requests, and the random ones."""

    def __init__(self) -> None:
        self.queue: list[tuple[str, str, Fault]] = []  # (method, path prefix, fault)
        self.rate = 0.0
        self._rng = random.Random(0)
        self._kinds: list[Fault] = list(DEFAULT_FAIL_KINDS)
        self.drips_stopped = asyncio.Event()  # issue 15: ``stop_drips``

    def inject(self, method: str, path_prefix: str, *faults: Fault) -> None:
        for fault in faults:
            self.queue.append((method.upper(), path_prefix, fault))

    def clear(self) -> None:
        self.queue.clear()
        self.rate = 0.0

    def fail_rate(
        self, rate: float, seed: int = 0, kinds: Sequence[Fault | int | str] | None = None
    ) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be within [0, 1]")
        self.rate = rate
        self._rng = random.Random(seed)
        self._kinds = [Fault.coerce(k) for k in kinds] if kinds else list(DEFAULT_FAIL_KINDS)

    def stop_drips(self) -> None:
        self.drips_stopped.set()
        self.drips_stopped = asyncio.Event()

    def take(self, method: str, path: str) -> Fault | None:
        """The fault this request gets (consumed from the queue), if any."""
        for i, (fault_method, prefix, fault) in enumerate(self.queue):
            if fault_method in ("*", method) and path.startswith(prefix):
                if fault.repeat == 1:
                    del self.queue[i]
                elif fault.repeat > 1:  # issue 15: a fault for several requests
                    self.queue[i] = (fault_method, prefix, fault.times(fault.repeat - 1))
                return fault
        if self.rate > 0 and self._rng.random() < self.rate:
            return self._rng.choice(self._kinds)
        return None

    async def apply(
        self, request: web.Request, fault: Fault, relist: Relist, reply: Reply | None = None
    ) -> web.StreamResponse | None:
        """Answer to send instead of the normal one (``reply``, once made), or None to go
        on normally."""
        if fault.kind in HOSTILE_KINDS:
            return await apply_hostile(
                request, fault, reply, relist=relist, drips_stopped=self.drips_stopped
            )
        if fault.kind == "hang":
            await asyncio.sleep(fault.seconds)
            return None
        if fault.kind == "reset":
            transport = request.transport
            if transport is not None:
                transport.abort()
            return web.Response(status=500)  # never delivered: the connection is gone
        return fault_reply(fault).to_response()
