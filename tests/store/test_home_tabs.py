"""The Home tab's repository on both databases: who opened it (their DM kept when an
opening does not name it), what was last published, the pending invitations newest first
within a limit, the counts by status since a date, and the change mark moving with a change."""

from __future__ import annotations

from datetime import timedelta

from invite_bot.store import HomeViewer, Store
from tests.support.store import T0, invitation


async def test_who_opened_the_home_and_what_they_were_shown(store: Store) -> None:
    await store.write(lambda tx: tx.home_tabs.opened("U1", "D1", T0))
    await store.write(lambda tx: tx.home_tabs.opened("U2", None, T0 + timedelta(seconds=1)))
    await store.write(lambda tx: tx.home_tabs.opened("U1", None, T0 + timedelta(seconds=2)))
    await store.write(lambda tx: tx.home_tabs.published("U2", "hash-2", T0))

    viewers = await store.read(lambda tx: tx.home_tabs.viewers())

    assert viewers == [HomeViewer("U2", None, "hash-2"), HomeViewer("U1", "D1", None)]
    assert await store.read(lambda tx: tx.home_tabs.viewer("U3")) is None


async def test_pending_newest_first_counts_and_the_change_mark(store: Store) -> None:
    rows = [
        invitation(f"inv-{n}", email=f"p{n}@lab.org", at=T0 + timedelta(minutes=n))
        for n in range(5)
    ]
    old = invitation("inv-old", email="old@lab.org", status="accepted", at=T0 - timedelta(days=40))
    await store.write(lambda tx: tx.invitations.record([*rows, old]))
    before = await store.read(lambda tx: tx.home_tabs.change_mark())

    pending, total = await store.read(lambda tx: tx.home_tabs.pending(limit=3))
    counts = await store.read(lambda tx: tx.home_tabs.status_counts(T0 - timedelta(days=1)))

    assert [i.id for i in pending] == ["inv-4", "inv-3", "inv-2"]
    assert total == 5
    assert counts == {"pending": 5}  # the accepted one is older than the window
    assert await store.read(lambda tx: tx.home_tabs.change_mark()) == before
    await store.write(lambda tx: tx.audit.add(actor_slack_id="U1", action="revoke"))
    assert await store.read(lambda tx: tx.home_tabs.change_mark()) != before
