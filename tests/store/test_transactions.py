"""`Store.write(work)`: a unit of work's writes land together or not at all, and it reads
its own writes; `Store.read(work)` sees only what was committed."""

from __future__ import annotations

import asyncio

import pytest

from invite_bot.store import Store, Tx


def subscribe_and_audit(tx: Tx, channel: str) -> bool:
    added = tx.subscriptions.add(channel, "U1")
    tx.audit.add(actor_slack_id="U1", action="notify_on", channel_id=channel)
    return added


async def test_writes_of_one_unit_of_work_land_together(store: Store) -> None:
    def two_channels(tx: Tx) -> None:
        subscribe_and_audit(tx, "C1")
        tx.subscriptions.add("C2", "U1")

    await store.write(two_channels)

    channels = await store.read(lambda tx: tx.subscriptions.all())
    assert [s.channel_id for s in channels] == ["C1", "C2"]
    assert len(await store.read(lambda tx: tx.audit.entries())) == 1


async def test_a_failure_inside_a_unit_of_work_leaves_nothing_behind(store: Store) -> None:
    def two_writes_then_crash(tx: Tx) -> None:
        subscribe_and_audit(tx, "C1")
        raise RuntimeError("crash between two writes")

    with pytest.raises(RuntimeError, match="crash"):
        await store.write(two_writes_then_crash)
    assert await store.read(lambda tx: tx.subscriptions.all()) == []
    assert await store.read(lambda tx: tx.audit.entries()) == []


async def test_concurrent_units_of_work_do_not_share_a_transaction(store: Store) -> None:
    def subscribe_and_fail(tx: Tx, channel: str, fail: bool) -> None:
        tx.subscriptions.add(channel, "U1")
        if fail:
            raise RuntimeError(channel)

    async def one(i: int) -> None:
        await store.write(lambda tx: subscribe_and_fail(tx, f"C{i}", fail=i % 2 == 1))

    results = await asyncio.gather(*(one(i) for i in range(10)), return_exceptions=True)
    assert sum(isinstance(r, RuntimeError) for r in results) == 5
    channels = await store.read(lambda tx: tx.subscriptions.all())
    assert sorted(s.channel_id for s in channels) == [f"C{i}" for i in range(0, 10, 2)]


async def test_a_unit_of_work_reads_its_own_writes(store: Store) -> None:
    seen: list[list[str]] = []

    def write_and_look(tx: Tx) -> bool:
        added = subscribe_and_audit(tx, "C1")
        seen.append([s.channel_id for s in tx.subscriptions.all()])
        return added

    assert await store.write(write_and_look) is True
    assert seen == [["C1"]]
    channels = await store.read(lambda tx: tx.subscriptions.all())
    assert [s.channel_id for s in channels] == ["C1"]


async def test_a_unit_of_work_returns_what_its_function_returns(store: Store) -> None:
    assert await store.write(lambda tx: subscribe_and_audit(tx, "C1")) is True
    assert await store.write(lambda tx: subscribe_and_audit(tx, "C1")) is False
    assert await store.read(lambda tx: tx.subscriptions.all())
