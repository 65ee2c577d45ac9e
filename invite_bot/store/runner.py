"""Where a unit of work runs: the one interface the store has over its two databases.

A runner takes a synchronous function of a `sqlalchemy.Connection` and runs it, in one
hop, inside a write transaction (`write`: committed if it returns, rolled back if it
raises) or a read-only one (`read`). SQLite's runner hops to worker threads
(sqlite_runner.py), PostgreSQL's runs it through `AsyncConnection.run_sync` on the event
loop (postgres_runner.py). Either raises `StoreUnavailable` for a database that cannot
serve (see unavailable.py), and the function's own exceptions as they are.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Connection

from invite_bot.store.unavailable import StoreUnavailable, unavailable

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")


class Runner(ABC):
    """Runs units of work on one database; open one per process (see `store.open_runner`)."""

    dialect: str
    # The absolute path of a SQLite database's file (None on a server).
    file: str | None = None
    # PostgreSQL's async engine: the leader leases hold advisory locks on its connections.
    engine: AsyncEngine | None = None

    @abstractmethod
    async def write(self, work: Callable[[Connection], T]) -> T:
        """`work` inside one write transaction: all of it lands, or none."""

    @abstractmethod
    async def read(self, work: Callable[[Connection], T]) -> T:
        """`work` on a read-only connection of its own (it sees committed rows only)."""

    def note_file(self) -> None:  # noqa: B027 (only a file has anything to note)
        """Remember which file a SQLite database is, to notice it deleted or replaced."""

    @abstractmethod
    async def close(self) -> None:
        """Disconnect; the runner takes no more work."""


@dataclass
class Phase:
    """Whether a unit of work's own code was running when something raised: an OSError
    from there (a caller's timeout, say) is not the database's."""

    inside: bool = False


def reraise(exc: Exception, phase: Phase) -> StoreUnavailable | None:
    """The `StoreUnavailable` to raise in place of `exc`, or None to re-raise `exc`."""
    failure = unavailable(exc, os_errors=not phase.inside)
    return None if failure is None or failure is exc else failure


