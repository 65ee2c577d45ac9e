"""Bulk drafts: kept a while for their asker's click, taken exactly once (across
processes), gone with their rows when taken or expired."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from invite_bot.store import BulkDraft, Store
from invite_bot.store.schema import bulk_draft_rows, utcnow
from tests.support.store import OpenStore

DRAFT = BulkDraft(
    id="0123456789abcdef",
    user_id="U0ADMIN01",
    channel_id="C0GENERAL",
    role="member",
    rows=tuple((f"p{i:03d}@lab.org", "admin" if i % 3 == 0 else None) for i in range(250)),
    source="cohort.csv",
)


async def rows_stored(store: Store) -> int:
    return await store.read(
        lambda tx: int(
            tx.conn.execute(select(func.count()).select_from(bulk_draft_rows)).scalar_one()
        )
    )


async def save(store: Store, draft: BulkDraft) -> None:
    await store.write(lambda tx: tx.drafts.save(draft))


async def take(store: Store, draft_id: str) -> BulkDraft | None:
    return await store.write(lambda tx: tx.drafts.take(draft_id))


async def test_a_saved_draft_comes_back_whole_and_in_order(store: Store) -> None:
    await store.write(lambda tx: tx.drafts.save(DRAFT))

    assert await store.read(lambda tx: tx.drafts.get(DRAFT.id)) == DRAFT
    assert await store.read(lambda tx: tx.drafts.get("ffffffffffffffff")) is None


async def test_saving_under_the_same_id_replaces_the_draft(store: Store) -> None:
    await store.write(lambda tx: tx.drafts.save(DRAFT))
    shorter = BulkDraft(DRAFT.id, "U0ADMIN01", "D0ADMIN01", None, (("a@lab.org", None),), "x")

    await store.write(lambda tx: tx.drafts.save(shorter))

    assert await store.read(lambda tx: tx.drafts.get(DRAFT.id)) == shorter
    assert await rows_stored(store) == 1


async def test_a_draft_is_taken_once_and_its_rows_go_with_it(store: Store) -> None:
    await store.write(lambda tx: tx.drafts.save(DRAFT))

    assert await store.write(lambda tx: tx.drafts.take(DRAFT.id)) == DRAFT
    assert await store.write(lambda tx: tx.drafts.take(DRAFT.id)) is None
    assert await store.read(lambda tx: tx.drafts.get(DRAFT.id)) is None
    assert await rows_stored(store) == 0


async def test_two_processes_taking_at_once_one_gets_the_draft(open_store: OpenStore) -> None:
    for round_ in range(5):
        replicas = [await open_store(), await open_store()]
        draft = BulkDraft(f"{round_:016x}", "U1", "C1", None, DRAFT.rows, "list")
        await save(replicas[0], draft)

        taken = await asyncio.gather(*(take(replicas[n % 2], draft.id) for n in range(6)))

        assert [t for t in taken if t is not None] == [draft]


async def test_an_expired_draft_is_gone_and_pruned_with_its_rows(store: Store) -> None:
    await store.write(lambda tx: tx.drafts.save(DRAFT, timedelta(seconds=-1)))
    fresh = BulkDraft("fedcba9876543210", "U1", "C1", None, DRAFT.rows[:3], "list")
    await store.write(lambda tx: tx.drafts.save(fresh))

    assert await store.read(lambda tx: tx.drafts.get(DRAFT.id)) is None
    assert await store.write(lambda tx: tx.drafts.take(DRAFT.id)) is None
    assert await store.write(lambda tx: tx.drafts.prune(utcnow())) == 1
    assert await rows_stored(store) == 3
    assert await store.read(lambda tx: tx.drafts.get(fresh.id)) == fresh


async def test_a_draft_lives_a_day_by_default(store: Store) -> None:
    await store.write(lambda tx: tx.drafts.save(DRAFT))

    assert await store.write(lambda tx: tx.drafts.prune(utcnow() + timedelta(hours=23))) == 0
    assert await store.write(lambda tx: tx.drafts.prune(utcnow() + timedelta(hours=25))) == 1
    assert await rows_stored(store) == 0
