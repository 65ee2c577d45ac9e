"""`Store.transaction()`: several writes land together or not at all."""

from __future__ import annotations

import asyncio

import pytest

from invite_bot.store import Store


async def test_writes_inside_a_transaction_land_together(store: Store) -> None:
    async with store.transaction():
        await store.subscribe("C1", "U1")
        await store.audit(actor_slack_id="U1", action="notify_on", channel_id="C1")
        async with store.transaction():  # nested use joins the outer one
            await store.subscribe("C2", "U1")
    assert [s.channel_id for s in await store.subscriptions()] == ["C1", "C2"]
    assert len(await store.audit_entries()) == 1


async def test_a_failure_inside_a_transaction_leaves_nothing_behind(store: Store) -> None:
    async def two_writes_then_crash() -> None:
        async with store.transaction():
            await store.subscribe("C1", "U1")
            await store.audit(actor_slack_id="U1", action="notify_on", channel_id="C1")
            raise RuntimeError("crash between two writes")

    with pytest.raises(RuntimeError):
        await two_writes_then_crash()
    assert await store.subscriptions() == []
    assert await store.audit_entries() == []


async def test_concurrent_transactions_do_not_see_each_others_connection(store: Store) -> None:
    async def subscribe_and_fail(channel: str, fail: bool) -> None:
        async with store.transaction():
            await store.subscribe(channel, "U1")
            await asyncio.sleep(0)
            if fail:
                raise RuntimeError(channel)

    results = await asyncio.gather(
        *(subscribe_and_fail(f"C{i}", fail=i % 2 == 1) for i in range(10)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, RuntimeError) for r in results) == 5
    assert sorted(s.channel_id for s in await store.subscriptions()) == [
        f"C{i}" for i in range(0, 10, 2)
    ]
