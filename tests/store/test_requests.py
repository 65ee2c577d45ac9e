"""Invite requests in the store: one decision each, across processes, on both databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from invite_bot.store import NewInviteRequest, Store
from invite_bot.store.schema import utcnow
from tests.support.store import OpenStore


def _ask(key: str | None = "k1", *, ttl: timedelta = timedelta(days=7)) -> NewInviteRequest:
    return NewInviteRequest(
        requester_slack_id="U0MEMBER1",
        channel_id="C0GENERAL",
        addresses=["bob@partner.org", "bob@partner.org", "cat@partner.org"],
        role="member",
        reason="a collaborator",
        expires_at=utcnow() + ttl,
        delivery_key=key,
    )


async def test_a_request_is_stored_once_per_delivery(store: Store) -> None:
    first, created = await store.write(lambda tx: tx.requests.create(_ask()))
    again, created_again = await store.write(lambda tx: tx.requests.create(_ask()))
    assert (created, created_again, again) == (True, False, first)
    await store.write(lambda tx: tx.requests.add_message(first, "C0APPROVE", "1.1"))
    await store.write(lambda tx: tx.requests.add_message(first, "C0APPROVE", "1.2"))
    request = await store.read(lambda tx: tx.requests.get(first))
    assert request is not None
    assert request.addresses == ("bob@partner.org", "cat@partner.org")
    assert [(m.channel_id, m.message_ts) for m in request.messages] == [("C0APPROVE", "1.2")]
    assert await store.read(lambda tx: tx.requests.count_open("U0MEMBER1")) == 1


async def test_two_processes_deciding_at_once_make_one_decision(
    store: Store, open_store: OpenStore
) -> None:
    other = await open_store()
    request_id, _ = await store.write(lambda tx: tx.requests.create(_ask()))
    now = utcnow()
    results = await asyncio.gather(
        store.write(
            lambda tx: tx.requests.decide(request_id, status="approved", by="U0ADMIN01", now=now)
        ),
        other.write(
            lambda tx: tx.requests.decide(request_id, status="denied", by="U0SECOND1", now=now)
        ),
        other.write(
            lambda tx: tx.requests.decide(request_id, status="approved", by="U0SECOND1", now=now)
        ),
    )
    assert sorted(results) == [False, False, True]
    request = await store.read(lambda tx: tx.requests.get(request_id))
    assert request is not None
    assert request.status in ("approved", "denied")
    assert await store.read(lambda tx: tx.requests.count_open("U0MEMBER1")) == 0


async def test_an_expired_request_can_only_expire_and_is_shown_once(
    store: Store, open_store: OpenStore
) -> None:
    request_id, _ = await store.write(
        lambda tx: tx.requests.create(_ask(ttl=timedelta(seconds=-1)))
    )
    now = utcnow()
    assert not await store.write(
        lambda tx: tx.requests.decide(request_id, status="approved", by="U0ADMIN01", now=now)
    )
    assert await store.read(lambda tx: tx.requests.due_to_expire(now)) == [request_id]
    assert await store.write(
        lambda tx: tx.requests.decide(request_id, status="expired", by=None, now=now)
    )
    assert not await store.write(
        lambda tx: tx.requests.decide(request_id, status="expired", by=None, now=now)
    )
    assert [r.id for r in await store.read(lambda tx: tx.requests.unshown())] == [request_id]
    other = await open_store()
    claims = await asyncio.gather(
        store.write(lambda tx: tx.requests.claim_shown(request_id, "expired")),
        other.write(lambda tx: tx.requests.claim_shown(request_id, "expired")),
    )
    assert sorted(claims) == [False, True]
    assert await store.read(lambda tx: tx.requests.unshown()) == []


async def test_only_the_member_who_asked_withdraws(store: Store) -> None:
    request_id, _ = await store.write(lambda tx: tx.requests.create(_ask(None)))
    now = utcnow()
    assert not await store.write(
        lambda tx: tx.requests.decide(
            request_id, status="withdrawn", by="U0OTHER01", now=now, requester="U0OTHER01"
        )
    )
    assert await store.write(
        lambda tx: tx.requests.decide(
            request_id, status="withdrawn", by="U0MEMBER1", now=now, requester="U0MEMBER1"
        )
    )
