"""The outbox walks pending -> sending -> sent | failed, and back to pending on retry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from invite_bot.store import OutboxItem, Store
from tests.support.store import transition


async def queue_one(store: Store) -> OutboxItem:
    [item] = await store.write(
        lambda tx: tx.transitions.apply([transition()], notify_channels=["C1"])
    )
    return item


async def current(store: Store, item: OutboxItem) -> OutboxItem:
    found = await store.read(lambda tx: tx.outbox.get(item.id))
    assert found is not None
    return found


async def test_delivered_item_is_sent_once_and_not_claimed_again(store: Store) -> None:
    item = await queue_one(store)
    assert [i.id for i in await store.read(lambda tx: tx.outbox.claim())] == [item.id]

    await store.write(lambda tx: tx.outbox.mark_sending(item.id))
    await store.write(lambda tx: tx.outbox.mark_sent(item.id, "1700000000.000100"))

    sent = await current(store, item)
    assert (sent.state, sent.attempts, sent.slack_ts) == ("sent", 1, "1700000000.000100")
    assert await store.read(lambda tx: tx.outbox.claim()) == []


async def test_item_left_sending_by_a_crash_is_claimed_for_checking(store: Store) -> None:
    item = await queue_one(store)

    await store.write(lambda tx: tx.outbox.mark_sending(item.id))
    [claimed] = await store.read(lambda tx: tx.outbox.claim())

    assert (claimed.id, claimed.state, claimed.attempts) == (item.id, "sending", 1)
    assert claimed.dedupe_key == item.dedupe_key


async def test_released_item_is_retried_with_attempts_counted(store: Store) -> None:
    item = await queue_one(store)

    await store.write(lambda tx: tx.outbox.mark_sending(item.id))
    await store.write(lambda tx: tx.outbox.release(item.id, error="ratelimited"))
    await store.write(lambda tx: tx.outbox.mark_sending(item.id))

    retried = await current(store, item)
    assert (retried.state, retried.attempts, retried.last_error) == ("sending", 2, "ratelimited")


async def test_released_item_waits_for_its_retry_time(store: Store) -> None:
    item = await queue_one(store)

    await store.write(lambda tx: tx.outbox.mark_sending(item.id))
    await store.write(lambda tx: tx.outbox.release(item.id, retry_after=timedelta(hours=1)))

    assert await store.read(lambda tx: tx.outbox.claim()) == []
    assert (await current(store, item)).state == "pending"


async def test_failed_item_keeps_its_error_and_is_not_claimed(store: Store) -> None:
    item = await queue_one(store)

    await store.write(lambda tx: tx.outbox.mark_sending(item.id))
    await store.write(lambda tx: tx.outbox.mark_failed(item.id, "channel_not_found"))

    failed = await current(store, item)
    assert (failed.state, failed.last_error) == ("failed", "channel_not_found")
    assert await store.read(lambda tx: tx.outbox.claim()) == []


async def test_items_are_claimed_oldest_first_up_to_the_limit(store: Store) -> None:
    created = await store.write(
        lambda tx: tx.transitions.apply(
            [transition(f"inv-{n}") for n in range(4)], notify_channels=["C1"]
        )
    )

    claimed = await store.read(lambda tx: tx.outbox.claim(limit=3))

    assert [i.id for i in claimed] == sorted(i.id for i in created)[:3]


async def test_marking_an_unknown_item_is_an_error(store: Store) -> None:
    with pytest.raises(LookupError):
        await store.write(lambda tx: tx.outbox.mark_sent(12345, None))
