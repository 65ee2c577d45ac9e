"""Renew a SQLite leader lease from a thread of its own, off the event loop.

A SQLite lease is a row whose expiry its holder keeps pushing forward. Renewed from the
event loop, a burst of Slack requests (thousands of `help` commands at once) could delay
the renewal past the expiry and hand leadership to a stand-by mid-delivery. A `LeaseKeeper`
renews it every quarter of its ttl from a daemon thread with its own connection to the
same file, and answers "still leading?" from memory: no I/O on the event loop at all.

The promise it keeps is the lease's own: `valid()` is True only until the expiry last
written (minus a margin), so a keeper that stalls (the disk, a lock held elsewhere) makes
its holder stop before another replica can take over, exactly as a silent holder would.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from sqlalchemy import create_engine, update
from sqlalchemy.exc import SQLAlchemyError

from invite_bot.store.schema import leases, utcnow

logger = logging.getLogger(__name__)


class LeaseKeeper:
    """One thread renewing the lease row (name, owner) in the SQLite file at `path`."""

    def __init__(self, path: str, name: str, *, owner: str, ttl: timedelta) -> None:
        self.name, self.owner, self.ttl = name, owner, ttl
        self._period = ttl.total_seconds() / 4
        # Stop believing a quarter of the ttl before the written expiry: clocks of two
        # replicas on one host agree, but a thread can be descheduled between checks.
        self._margin = ttl.total_seconds() / 4
        self._engine = create_engine(
            f"sqlite:///{path}", connect_args={"timeout": max(0.05, self._period)}
        )
        self._stop = threading.Event()
        self._valid_until = 0.0  # time.monotonic() until which the lease is surely ours
        self._lost = False
        self._thread = threading.Thread(target=self._run, name=f"lease-keeper:{name}", daemon=True)

    def start(self, taken_at: float) -> None:
        """Keep renewing a lease just taken (its expiry written at `taken_at`, monotonic)."""
        self._valid_until = self._covered_until(taken_at)
        self._thread.start()

    def _covered_until(self, written_at: float) -> float:
        """Until when an expiry written at `written_at` surely still holds (monotonic)."""
        return written_at + self.ttl.total_seconds() - self._margin

    def valid(self) -> bool:
        """True while the last renewal still covers now; False once lost or lapsed."""
        return not self._lost and time.monotonic() < self._valid_until

    def stop(self) -> None:
        """Stop renewing (the lease then lapses unless released); waits for the thread."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=max(1.0, 2 * self._period))
        self._engine.dispose()

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            try:
                if not self._renew():
                    logger.warning("leader lease %r lost by %s", self.name, self.owner)
                    self._lost = True
                    return
            except (SQLAlchemyError, OSError) as error:  # try again; valid() lapses meanwhile
                logger.warning(
                    "leader lease %r not renewed by %s: %s",
                    self.name,
                    self.owner,
                    type(error).__name__,
                )

    def _renew(self) -> bool:
        started = time.monotonic()
        now = utcnow()
        stmt = (
            update(leases)
            .where(
                leases.c.name == self.name,
                leases.c.owner == self.owner,
                leases.c.expires_at > now,
            )
            .values(expires_at=now + self.ttl)
        )
        with self._engine.begin() as conn:
            renewed = conn.execute(stmt).rowcount == 1
        if renewed and not self._stop.is_set():
            self._valid_until = self._covered_until(started)
        return renewed
