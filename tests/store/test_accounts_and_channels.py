"""Linked personal accounts, channel subscriptions and the audit log."""

from __future__ import annotations

from invite_bot.store import Store


async def test_linked_account_round_trips_and_relinking_replaces_it(store: Store) -> None:
    await store.write(
        lambda tx: tx.links.save(
            "U1", ciphertext="gAAAA-old", gencove_user_id="g-1", gencove_email="a@x"
        )
    )
    await store.write(
        lambda tx: tx.links.save(
            "U1", ciphertext="gAAAA-new", gencove_user_id="g-2", gencove_email="b@x"
        )
    )

    link = await store.read(lambda tx: tx.links.get("U1"))

    assert link is not None
    assert (link.ciphertext, link.gencove_user_id, link.gencove_email) == (
        "gAAAA-new",
        "g-2",
        "b@x",
    )
    assert link.linked_at.tzinfo is not None


async def test_unlinking_removes_the_key(store: Store) -> None:
    await store.write(
        lambda tx: tx.links.save("U1", ciphertext="c", gencove_user_id="g", gencove_email="e@x")
    )

    assert await store.write(lambda tx: tx.links.delete("U1")) is True
    assert await store.write(lambda tx: tx.links.delete("U1")) is False
    assert await store.read(lambda tx: tx.links.get("U1")) is None


async def test_subscribing_twice_reports_the_existing_subscription(store: Store) -> None:
    assert await store.write(lambda tx: tx.subscriptions.add("C1", "U1")) is True
    assert await store.write(lambda tx: tx.subscriptions.add("C1", "U2")) is False
    assert await store.write(lambda tx: tx.subscriptions.add("C2", "U2")) is True

    subs = await store.read(lambda tx: tx.subscriptions.all())

    assert [(s.channel_id, s.by_user) for s in subs] == [("C1", "U1"), ("C2", "U2")]


async def test_unsubscribing_says_whether_the_channel_was_subscribed(store: Store) -> None:
    await store.write(lambda tx: tx.subscriptions.add("C1", "U1"))

    assert await store.write(lambda tx: tx.subscriptions.remove("C1")) is True
    assert await store.write(lambda tx: tx.subscriptions.remove("C1")) is False
    assert await store.read(lambda tx: tx.subscriptions.all()) == []


async def test_audit_entries_come_back_newest_first_and_filter_by_action(store: Store) -> None:
    await store.write(
        lambda tx: tx.audit.add(
            actor_slack_id="U1", action="invite", email="a@lab.org", channel_id="C1"
        )
    )
    await store.write(
        lambda tx: tx.audit.add(
            actor_slack_id="U2",
            action="revoke",
            invitation_id="inv-1",
            detail={"reason": "typo", "count": 1},
        )
    )
    await store.write(
        lambda tx: tx.audit.add(actor_slack_id=None, action="invite", email="b@lab.org")
    )

    entries = await store.read(lambda tx: tx.audit.entries())
    revokes = await store.read(lambda tx: tx.audit.entries(action="revoke"))

    assert [e.email for e in entries] == ["b@lab.org", None, "a@lab.org"]
    assert [(e.actor_slack_id, e.invitation_id, e.detail) for e in revokes] == [
        ("U2", "inv-1", {"reason": "typo", "count": 1})
    ]
    assert entries[0].detail == {}
    assert len(await store.read(lambda tx: tx.audit.entries(limit=1))) == 1
