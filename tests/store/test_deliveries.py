"""A Slack request delivered more than once has one effect, whichever replica gets it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from invite_bot.store import Store
from tests.support.store import OpenStore


async def test_a_delivery_is_claimed_only_by_the_first_caller(store: Store) -> None:
    assert await store.write(lambda tx: tx.deliveries.claim("cmd:T1:abc")) is True
    assert await store.write(lambda tx: tx.deliveries.claim("cmd:T1:abc")) is False
    assert await store.write(lambda tx: tx.deliveries.claim("cmd:T1:other")) is True


async def test_twenty_concurrent_claims_from_two_replicas_win_once(open_store: OpenStore) -> None:
    replicas = [await open_store(), await open_store()]

    results = await asyncio.gather(
        *(replicas[n % 2].write(lambda tx: tx.deliveries.claim("action:T1:42")) for n in range(20))
    )

    assert sorted(results) == [False] * 19 + [True]


async def test_pruning_forgets_only_old_deliveries(store: Store) -> None:
    await store.write(lambda tx: tx.deliveries.claim("old"))
    await asyncio.sleep(0.05)

    assert await store.write(lambda tx: tx.deliveries.prune(timedelta(hours=1))) == 0
    assert await store.write(lambda tx: tx.deliveries.prune(timedelta(0))) == 1
    assert await store.write(lambda tx: tx.deliveries.claim("old")) is True
