"""The invitations the bot knows, and where it posted about them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from invite_bot.store import KnownInvitation, Store
from tests.support.store import T0, invitation


async def test_upsert_without_message_location_keeps_the_stored_one(store: Store) -> None:
    await store.write(
        lambda tx: tx.invitations.record(
            [
                invitation(
                    channel_id="C1", message_ts="111.222", block_id="b1", inviter_slack_id="U1"
                )
            ]
        )
    )

    await store.write(
        lambda tx: tx.invitations.record(
            [invitation(status="accepted", at=T0 + timedelta(hours=1))]
        )
    )

    stored = await store.read(lambda tx: tx.invitations.get("inv-1"))
    assert stored is not None
    assert stored.status == "accepted"
    assert (stored.channel_id, stored.message_ts, stored.block_id) == ("C1", "111.222", "b1")
    assert stored.inviter_slack_id == "U1"
    assert stored.first_seen == T0
    assert stored.updated_at == T0 + timedelta(hours=1)


async def test_upsert_with_a_new_message_location_moves_it(store: Store) -> None:
    await store.write(
        lambda tx: tx.invitations.record(
            [invitation(channel_id="C1", message_ts="1.1", block_id="b1")]
        )
    )

    await store.write(
        lambda tx: tx.invitations.record(
            [invitation(channel_id="C2", message_ts="2.2", block_id=None)]
        )
    )

    stored = await store.read(lambda tx: tx.invitations.get("inv-1"))
    assert stored is not None
    assert (stored.channel_id, stored.message_ts, stored.block_id) == ("C2", "2.2", None)


async def test_set_message_records_where_the_result_was_posted(store: Store) -> None:
    await store.write(lambda tx: tx.invitations.record([invitation()]))

    await store.write(
        lambda tx: tx.invitations.set_message(
            "inv-1", channel_id="C9", message_ts="9.9", block_id="inv-1-block"
        )
    )

    stored = await store.read(lambda tx: tx.invitations.get("inv-1"))
    assert stored is not None
    assert (stored.channel_id, stored.message_ts, stored.block_id) == ("C9", "9.9", "inv-1-block")


async def test_set_message_for_an_unknown_invitation_is_an_error(store: Store) -> None:
    with pytest.raises(LookupError, match="nope"):
        await store.write(
            lambda tx: tx.invitations.set_message(
                "nope", channel_id="C1", message_ts="1.1", block_id="b"
            )
        )


async def test_invitations_are_found_by_email_regardless_of_case(store: Store) -> None:
    await store.write(
        lambda tx: tx.invitations.record(
            [
                invitation("inv-1", email="Bob@Lab.org", status="expired"),
                invitation("inv-2", email="bob@lab.org", at=T0 + timedelta(days=1)),
                invitation("inv-3", email="ana@lab.org"),
            ]
        )
    )

    found = await store.read(lambda tx: tx.invitations.by_email("BOB@lab.org"))
    pending = await store.read(lambda tx: tx.invitations.by_email("bob@lab.org", status="pending"))

    assert [i.id for i in found] == ["inv-1", "inv-2"]
    assert [i.id for i in pending] == ["inv-2"]


async def test_invitations_with_status_and_count(store: Store) -> None:
    await store.write(
        lambda tx: tx.invitations.record(
            [invitation("a"), invitation("b", status="accepted"), invitation("c")]
        )
    )

    assert [i.id for i in await store.read(lambda tx: tx.invitations.with_status("pending"))] == [
        "a",
        "c",
    ]
    assert await store.read(lambda tx: tx.invitations.count()) == 3
    assert await store.read(lambda tx: tx.invitations.get("missing")) is None


async def test_timestamps_come_back_timezone_aware_in_utc(store: Store) -> None:
    berlin = timezone(timedelta(hours=2))
    local = datetime(2025, 6, 1, 14, 30, 15, 123456, tzinfo=berlin)
    row = KnownInvitation(
        id="inv-tz",
        email="tz@lab.org",
        role="member",
        status="pending",
        expires=local + timedelta(days=7),
        inviter_slack_id=None,
        channel_id=None,
        message_ts=None,
        block_id=None,
        first_seen=local,
        updated_at=local,
    )

    await store.write(lambda tx: tx.invitations.record([row]))
    stored = await store.read(lambda tx: tx.invitations.get("inv-tz"))

    assert stored is not None
    for value in (stored.expires, stored.first_seen, stored.updated_at):
        assert value is not None
        assert value.tzinfo is UTC
    assert stored.first_seen == local
    assert stored.first_seen.hour == 12
    assert stored.expires == local + timedelta(days=7)


async def test_naive_timestamps_are_refused(store: Store) -> None:
    naive = invitation(at=datetime(2025, 1, 1, 12, 0))

    with pytest.raises(Exception, match="naive datetime"):
        await store.write(lambda tx: tx.invitations.record([naive]))
