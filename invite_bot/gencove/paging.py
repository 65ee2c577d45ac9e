"""Bounds on one paged read of a Gencove listing.

Gencove pages with limit/offset and absolute `meta.next` links. A listing read follows
them, but never forever and never beyond what was asked:

* a `next` link to a page already read (a loop) ends the read;
* so does a page beyond ceil(meta.count / page size) + 2 (the count taken as the largest
  Gencove reported, the page size as the first page's when it is short of the limit and
  has a `next`: Gencove's own maximum), and in any case beyond MAX_PAGES;
* a `next` link to another path than the listing's own is refused (it would take the
  organization key somewhere else on Gencove's host);
* a page with more rows than `limit` is cut to `limit` rows (one warning per read).

A broken listing raises ONE `GencoveProtocolError` with a user-safe message and logs one
line saying what was wrong; its callers already answer a `GencoveError` visibly, and the
watcher's next poll runs as usual.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

from invite_bot.gencove.errors import GencoveProtocolError, GencoveUnreadable
from invite_bot.gencove.wire import shown

log = logging.getLogger(__name__)

MAX_PAGES = 1000  # absolute ceiling for one listing read, whatever Gencove says
SPARE_PAGES = 2  # pages allowed beyond the count (rows arriving while reading)

ENDLESS = "Gencove sent a list that does not end; the bot stopped reading it. Try again later."
OTHER_PATH = "Gencove sent a page link the bot does not follow."
NOT_UNDERSTOOD = "Gencove sent an answer the bot could not understand."


class Listing:
    """One paged read: which links were followed, how many pages are allowed."""

    def __init__(
        self, what: str, path: str, params: Mapping[str, str] | None, page_size: int
    ) -> None:
        self.what = what  # for the log: "invitations", "roles", ...
        self.path = path
        self.limit = max(1, page_size)
        self.pages = 0
        self._size = self.limit
        self._count: int | None = None
        self._seen = {_key(path, params)}
        self._warned = False

    @property
    def max_pages(self) -> int:
        if self._count is None:
            return MAX_PAGES
        return min(MAX_PAGES, math.ceil(self._count / self._size) + SPARE_PAGES)

    def take(self, data: Any) -> tuple[list[Any], dict[str, Any]]:
        """(results cut to the limit, meta) of one decoded page; a wrong shape is a
        protocol error (`GencoveUnreadable`)."""
        if not isinstance(data, dict):
            raise GencoveUnreadable(NOT_UNDERSTOOD, status=200)
        meta = data.get("meta") or {}
        results = data.get("results")
        if not isinstance(meta, dict) or not isinstance(results, list | None):
            raise GencoveUnreadable(NOT_UNDERSTOOD, status=200)
        rows = list(results or [])
        self.pages += 1
        if len(rows) > self.limit:
            if not self._warned:
                log.warning(
                    "gencove GET %s sent %d rows for limit=%d; the rest are ignored",
                    shown(self.path),
                    len(rows),
                    self.limit,
                )
                self._warned = True
            rows = rows[: self.limit]
        count = meta.get("count")
        if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
            self._count = max(count, self._count or 0)
        if self.pages == 1 and meta.get("next") and rows:
            self._size = len(rows)  # Gencove's own page size, when smaller than the limit
        return rows, meta

    def follow(self, path: str, params: Mapping[str, str]) -> None:
        """Check the `next` link about to be read (split by the client)."""
        if path != self.path:
            self._broken("its next link points at another path", OTHER_PATH)
        key = _key(path, params)
        if key in self._seen:
            self._broken(f"its next link repeats a page already read (page {self.pages})")
        if self.pages >= self.max_pages:
            self._broken(
                f"it goes on past {self.pages} pages (count {self._count}, page size {self._size})"
            )
        self._seen.add(key)

    def _broken(self, why: str, message: str = ENDLESS) -> None:
        log.warning("gencove listing of %s (%s) abandoned: %s", self.what, shown(self.path), why)
        raise GencoveProtocolError(message)


def _key(path: str, params: Mapping[str, str] | None) -> tuple[str, tuple[tuple[str, str], ...]]:
    return path, tuple(sorted((params or {}).items()))
