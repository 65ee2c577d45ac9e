"""Per-key helpers for one process: a lock per key, and a cache whose entries expire.

Pure and asyncio-only (no I/O): the callers decide what a key is and what loading costs.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class KeyedLocks(Generic[K]):
    """One `asyncio.Lock` per key, kept only while someone holds it or waits for it.

    async with locks.lock(invitation_id):
        ...  # one at a time per invitation_id, in this process
    """

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[K, asyncio.Lock] = weakref.WeakValueDictionary()

    def lock(self, key: K) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    def __len__(self) -> int:
        """How many keys have a live lock (for tests)."""
        return len(self._locks)


class TtlCache(Generic[K, V]):
    """Values remembered for `seconds` after they were stored, by key.

    `clock` is any monotonic clock in seconds (injectable for tests). An expired entry
    is dropped when it is next looked up.
    """

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._entries: dict[K, tuple[float, V]] = {}
        self._loading: KeyedLocks[K] = KeyedLocks()

    def get(self, key: K) -> V | None:
        """The value if it was stored less than `seconds` ago, else None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        stored_at, value = entry
        if self._clock() - stored_at < self.seconds:
            return value
        del self._entries[key]
        return None

    def put(self, key: K, value: V) -> V:
        self._entries[key] = (self._clock(), value)
        return value

    async def get_or_load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The fresh value, else `load()`'s, stored. One load per key at a time: callers
        arriving while it runs get its result (a failed load stores nothing)."""
        async with self._loading.lock(key):
            cached = self.get(key)
            if cached is not None:
                return cached
            return self.put(key, await load())

    def clear(self) -> None:
        self._entries.clear()
