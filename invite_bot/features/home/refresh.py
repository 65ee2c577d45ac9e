"""Keeping opened Home tabs up to date, without the features knowing of them.

Why a poll of the store and not a signal from each feature: everything a Home tab shows
is in the store, and every change to it either is audited (an invite, a revoke, a request
and its decision, a link, a notification setting) or moves an invitation's `updated_at`
(what the watcher hears from Gencove). One cheap query (`home_tabs.change_mark`) every few
seconds therefore sees every change, made by any replica or by the watcher, and no
feature's code path has to remember to say "the Home changed". When the mark moved, every
opened Home is rendered again and published only where it differs from what its person
was last shown: however many changes land within one interval, a person gets at most one
`views.publish` for them (that is the coalescing), and people who never opened the Home
get none. It runs beside the watcher, in one process, like the watcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from invite_bot.features.home.tab import HomeTab
from invite_bot.store import Store, StoreUnavailable

log = logging.getLogger(__name__)


class HomeRefresh:
    """Polls the store's change mark; on a move, refreshes every opened Home tab."""

    def __init__(self, store: Store, tab: HomeTab) -> None:
        self.store = store
        self.tab = tab
        self._mark: str | None = None

    async def poll(self) -> int:
        """One look: the number of Home tabs published again (0 when nothing moved)."""
        mark = await self.store.read(lambda tx: tx.home_tabs.change_mark())
        if mark == self._mark:
            return 0
        self._mark = mark
        return await self.tab.refresh_all()

    async def run(self, stop: asyncio.Event, *, every: float) -> None:
        """Poll every `every` seconds until `stop` is set."""
        while not stop.is_set():
            try:
                await self.poll()
            except StoreUnavailable as exc:
                log.warning("Home tabs not refreshed, database unavailable: %s", exc.kind)
            except Exception:
                log.exception("refreshing Home tabs failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)
