"""`Store.unit_of_work()`: several writes land together or not at all."""

from __future__ import annotations

import asyncio

import pytest

from invite_bot.store import Store, UnitOfWork


async def test_writes_inside_a_transaction_land_together(store: Store) -> None:
    async with store.unit_of_work():
        await store.subscriptions.add("C1", "U1")
        await store.audit.add(actor_slack_id="U1", action="notify_on", channel_id="C1")
        async with store.unit_of_work():  # nested use joins the outer one
            await store.subscriptions.add("C2", "U1")
    assert [s.channel_id for s in await store.subscriptions.all()] == ["C1", "C2"]
    assert len(await store.audit.entries()) == 1


async def test_a_failure_inside_a_transaction_leaves_nothing_behind(store: Store) -> None:
    async def two_writes_then_crash() -> None:
        async with store.unit_of_work():
            await store.subscriptions.add("C1", "U1")
            await store.audit.add(actor_slack_id="U1", action="notify_on", channel_id="C1")
            raise RuntimeError("crash between two writes")

    with pytest.raises(RuntimeError):
        await two_writes_then_crash()
    assert await store.subscriptions.all() == []
    assert await store.audit.entries() == []


async def test_concurrent_transactions_do_not_see_each_others_connection(store: Store) -> None:
    async def subscribe_and_fail(channel: str, fail: bool) -> None:
        async with store.unit_of_work():
            await store.subscriptions.add(channel, "U1")
            await asyncio.sleep(0)
            if fail:
                raise RuntimeError(channel)

    results = await asyncio.gather(
        *(subscribe_and_fail(f"C{i}", fail=i % 2 == 1) for i in range(10)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, RuntimeError) for r in results) == 5
    assert sorted(s.channel_id for s in await store.subscriptions.all()) == [
        f"C{i}" for i in range(0, 10, 2)
    ]


async def test_writes_through_the_unit_of_work_land_together_and_it_reads_them(
    store: Store,
) -> None:
    async with store.unit_of_work() as work:
        assert await work.subscriptions.add("C1", "U1") is True
        await work.audit.add(actor_slack_id="U1", action="notify_on", channel_id="C1")
        # Reads through the unit of work see its writes; the store's own reads do not yet.
        assert [s.channel_id for s in await work.subscriptions.all()] == ["C1"]
        assert await store.subscriptions.all() == []
    assert [s.channel_id for s in await store.subscriptions.all()] == ["C1"]
    assert len(await store.audit.entries()) == 1


async def test_a_failure_rolls_back_what_went_through_the_unit_of_work(store: Store) -> None:
    async def write_then_crash() -> None:
        async with store.unit_of_work() as work:
            await work.subscriptions.add("C1", "U1")
            async with store.unit_of_work() as inner:  # joins: commits nothing of its own
                await inner.audit.add(actor_slack_id="U1", action="notify_on")
            raise RuntimeError("crash after the inner unit of work")

    with pytest.raises(RuntimeError, match="crash"):
        await write_then_crash()
    assert await store.subscriptions.all() == []
    assert await store.audit.entries() == []


async def test_a_unit_of_work_cannot_be_used_after_it_ended(store: Store) -> None:
    async with store.unit_of_work() as work:
        await work.subscriptions.add("C1", "U1")

    with pytest.raises(RuntimeError, match="ended"):
        await work.subscriptions.add("C2", "U1")
    assert [s.channel_id for s in await store.subscriptions.all()] == ["C1"]


async def test_a_task_started_inside_a_unit_of_work_does_not_join_it(store: Store) -> None:
    tasks: list[asyncio.Task[None]] = []

    async def elsewhere() -> None:
        await store.subscriptions.add("C2", "U1")

    async def through(work: UnitOfWork) -> None:
        await work.subscriptions.add("C3", "U1")

    async def start_tasks_then_crash() -> None:
        async with store.unit_of_work() as work:
            await work.subscriptions.add("C1", "U1")
            # The ContextVar is inherited, the transaction is not: this one begins its own.
            tasks.append(asyncio.create_task(elsewhere()))
            with pytest.raises(RuntimeError, match="task that opened it"):
                await asyncio.create_task(through(work))
            raise RuntimeError("crash")

    with pytest.raises(RuntimeError, match="crash"):
        await start_tasks_then_crash()
    await asyncio.gather(*tasks)
    assert [s.channel_id for s in await store.subscriptions.all()] == ["C2"]
