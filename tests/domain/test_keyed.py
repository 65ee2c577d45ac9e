"""KeyedLocks and TtlCache: one at a time per key, and values that expire."""

from __future__ import annotations

import asyncio
import gc

import pytest

from invite_bot.domain.keyed import KeyedLocks, TtlCache


async def test_one_holder_per_key_and_keys_do_not_wait_for_each_other() -> None:
    locks: KeyedLocks[str] = KeyedLocks()
    order: list[str] = []
    release = asyncio.Event()

    async def hold(key: str, name: str) -> None:
        async with locks.lock(key):
            order.append(f"{name} in")
            await release.wait()
            order.append(f"{name} out")

    first = asyncio.create_task(hold("a", "first"))
    second = asyncio.create_task(hold("a", "second"))
    other = asyncio.create_task(hold("b", "other"))
    await asyncio.sleep(0.01)
    assert order == ["first in", "other in"]  # "second" waits for "first", "other" does not
    release.set()
    await asyncio.gather(first, second, other)
    assert order.index("second in") > order.index("first out")


async def test_a_lock_nobody_holds_is_forgotten() -> None:
    locks: KeyedLocks[str] = KeyedLocks()
    async with locks.lock("a"):
        assert len(locks) == 1
        assert locks.lock("a") is locks.lock("a")
    gc.collect()
    assert len(locks) == 0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_value_is_fresh_for_its_seconds_then_gone() -> None:
    clock = Clock()
    cache: TtlCache[str, bool] = TtlCache(300, clock=clock)
    assert cache.get("U1") is None
    assert cache.put("U1", False) is False
    clock.now += 299.9
    assert cache.get("U1") is False  # a falsy value is a cached value
    clock.now += 0.1
    assert cache.get("U1") is None
    cache.put("U1", True)
    assert cache.get("U1") is True
    cache.clear()
    assert cache.get("U1") is None


async def test_get_or_load_loads_once_for_callers_arriving_together() -> None:
    clock = Clock()
    cache: TtlCache[str, list[str]] = TtlCache(600, clock=clock)
    loads = 0
    gate = asyncio.Event()

    async def load() -> list[str]:
        nonlocal loads
        loads += 1
        await gate.wait()
        return ["admin", "member"]

    waiting = [asyncio.create_task(cache.get_or_load("roles", load)) for _ in range(5)]
    await asyncio.sleep(0.01)
    gate.set()
    assert await asyncio.gather(*waiting) == [["admin", "member"]] * 5
    assert loads == 1
    assert cache.get("roles") == ["admin", "member"]
    clock.now += 600
    assert await cache.get_or_load("roles", load) == ["admin", "member"]
    assert loads == 2


async def test_a_failed_load_stores_nothing() -> None:
    cache: TtlCache[str, int] = TtlCache(60)

    async def broken() -> int:
        raise RuntimeError("down")

    async def works() -> int:
        return 7

    with pytest.raises(RuntimeError):
        await cache.get_or_load("k", broken)
    assert cache.get("k") is None
    assert await cache.get_or_load("k", works) == 7
