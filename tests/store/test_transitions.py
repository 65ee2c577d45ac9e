"""A poll's transitions are recorded and queued for Slack exactly once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from invite_bot.store import BASELINE_DONE, Store
from tests.support.store import T0, OpenStore, invitation, transition


async def test_a_transition_queues_one_notification_per_channel(store: Store) -> None:
    created = await store.write(
        lambda tx: tx.transitions.apply([transition()], notify_channels=["C1", "C2", "C1"])
    )

    assert [(i.kind, i.channel_id) for i in created] == [("notify", "C1"), ("notify", "C2")]
    assert all(i.state == "pending" and i.attempts == 0 for i in created)
    assert created[0].payload["email"] == "bob@lab.org"
    assert created[0].payload["new_status"] == "accepted"
    assert created[0].dedupe_key == f"ib-{created[0].id}"
    stored = await store.read(lambda tx: tx.invitations.get("inv-1"))
    assert stored is not None
    assert stored.status == "accepted"


async def test_applying_the_same_transition_twice_queues_nothing_the_second_time(
    store: Store,
) -> None:
    first = await store.write(
        lambda tx: tx.transitions.apply([transition()], notify_channels=["C1", "C2"])
    )
    second = await store.write(
        lambda tx: tx.transitions.apply([transition()], notify_channels=["C1", "C2"])
    )

    assert len(first) == 2
    assert second == []
    assert len(await store.read(lambda tx: tx.outbox.claim())) == 2


async def test_a_channel_subscribed_later_gets_only_later_transitions(store: Store) -> None:
    await store.write(lambda tx: tx.transitions.apply([transition()], notify_channels=["C1"]))

    again = await store.write(
        lambda tx: tx.transitions.apply([transition()], notify_channels=["C1", "C2"])
    )

    assert [(i.channel_id, i.new_status) for i in again] == [("C2", "accepted")]


async def test_two_replicas_applying_the_same_poll_at_once_queue_it_once(
    open_store: OpenStore,
) -> None:
    first, second = await open_store(), await open_store()
    known = [
        invitation(f"inv-{n}", channel_id="C0", message_ts=f"{n}.0", block_id="b") for n in range(5)
    ]
    await first.write(lambda tx: tx.invitations.record(known))
    poll = [transition(f"inv-{n}", "expired", at=T0 + timedelta(days=7)) for n in range(5)]

    rounds = []
    for _ in range(3):
        results = await asyncio.gather(
            first.write(lambda tx: tx.transitions.apply(poll, notify_channels=["C1", "C2"])),
            second.write(lambda tx: tx.transitions.apply(poll, notify_channels=["C2", "C1"])),
        )
        rounds.append(sum(len(items) for items in results))

    assert rounds == [15, 0, 0]  # 5 x (2 notifications + 1 message update)

    queued = await first.read(lambda tx: tx.outbox.claim(limit=100))
    assert len(queued) == 15
    assert len({(i.kind, i.invitation_id, i.channel_id) for i in queued}) == 15


async def test_known_result_message_gets_one_update_per_transition(store: Store) -> None:
    await store.write(
        lambda tx: tx.invitations.record(
            [invitation(channel_id="C9", message_ts="9.9", block_id="blk", inviter_slack_id="U1")]
        )
    )

    created = await store.write(
        lambda tx: tx.transitions.apply([transition()], notify_channels=["C9"])
    )
    again = await store.write(
        lambda tx: tx.transitions.apply([transition()], notify_channels=["C9"])
    )

    # The inviter (U1) also hears of it in a DM (`notify me` is on by default).
    assert sorted((i.kind, i.channel_id) for i in created) == [
        ("dm", "U1"),
        ("message_update", "C9"),
        ("notify", "C9"),
    ]
    update = next(i for i in created if i.kind == "message_update")
    assert update.channel_id == "C9"
    assert update.payload["message"] == {"channel_id": "C9", "message_ts": "9.9", "block_id": "blk"}
    assert update.payload["inviter_slack_id"] == "U1"
    assert again == []


async def test_an_invitation_made_outside_slack_is_recorded_on_its_first_transition(
    store: Store,
) -> None:
    created = await store.write(
        lambda tx: tx.transitions.apply(
            [
                transition("new-1", "pending", old_status=None, email="eve@lab.org"),
                transition("new-1", "accepted", email="eve@lab.org", at=T0 + timedelta(minutes=1)),
            ],
            notify_channels=["C1"],
        )
    )

    assert [i.new_status for i in created] == ["pending", "accepted"]
    stored = await store.read(lambda tx: tx.invitations.get("new-1"))
    assert stored is not None
    assert (stored.email, stored.status, stored.first_seen) == ("eve@lab.org", "accepted", T0)
    assert all(i.kind == "notify" for i in created)


async def test_baseline_records_invitations_without_queueing_anything(store: Store) -> None:
    assert await store.read(lambda tx: tx.state.get(BASELINE_DONE)) is None

    await store.write(
        lambda tx: tx.transitions.baseline([invitation("a"), invitation("b", status="accepted")])
    )

    assert await store.read(lambda tx: tx.invitations.count()) == 2
    assert await store.read(lambda tx: tx.outbox.claim()) == []
    assert await store.read(lambda tx: tx.state.get(BASELINE_DONE)) is not None


async def test_state_values_round_trip_and_overwrite(store: Store) -> None:
    await store.write(lambda tx: tx.state.set("cursor", "1"))
    await store.write(lambda tx: tx.state.set("cursor", "2"))

    assert await store.read(lambda tx: tx.state.get("cursor")) == "2"
    assert await store.read(lambda tx: tx.state.get("missing")) is None
