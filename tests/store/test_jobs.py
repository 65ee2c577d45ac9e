"""A multi-address invite survives a crash, and only one replica resumes it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from invite_bot.store import NewInviteJob, Store
from tests.support.store import OpenStore

JOB = NewInviteJob(
    slack_user_id="U1",
    channel_id="C1",
    response_url="https://hooks.slack.test/r/1",
    role="member",
    addresses=["a@lab.org", "b@lab.org", "c@lab.org", "a@lab.org"],
    delivery_key="cmd:T1:trigger-1",
)


async def claim(store: Store, job_id: int, owner: str, lease: timedelta) -> bool:
    return await store.write(lambda tx: tx.jobs.claim(job_id, owner, lease))


async def test_an_interrupted_job_comes_back_with_what_is_left_to_do(store: Store) -> None:
    job_id = await store.write(lambda tx: tx.jobs.create(JOB))
    await store.write(lambda tx: tx.jobs.set_message(job_id, channel_id="C1", message_ts="5.5"))
    await store.write(
        lambda tx: tx.jobs.record_item(
            job_id, "a@lab.org", outcome="created", invitation_id="inv-a", error=None
        )
    )
    await store.write(
        lambda tx: tx.jobs.record_item(
            job_id, "b@lab.org", outcome="failed", invitation_id=None, error="invalid email"
        )
    )

    [job] = await store.read(lambda tx: tx.jobs.unfinished())

    assert (job.id, job.slack_user_id, job.role, job.response_url) == (
        job_id,
        "U1",
        "member",
        "https://hooks.slack.test/r/1",
    )
    assert (job.message_channel_id, job.message_ts) == ("C1", "5.5")
    assert [(i.email, i.outcome, i.invitation_id, i.error) for i in job.items] == [
        ("a@lab.org", "created", "inv-a", None),
        ("b@lab.org", "failed", None, "invalid email"),
        ("c@lab.org", None, None, None),
    ]
    assert job.pending_emails == ["c@lab.org"]


async def test_a_finished_job_is_not_resumed(store: Store) -> None:
    job_id = await store.write(lambda tx: tx.jobs.create(JOB))

    await store.write(lambda tx: tx.jobs.finish(job_id))

    assert await store.read(lambda tx: tx.jobs.unfinished()) == []
    job = await store.read(lambda tx: tx.jobs.get(job_id))
    assert job is not None
    assert job.finished_at is not None


async def test_a_redelivered_command_finds_the_job_of_the_first_delivery(store: Store) -> None:
    first = await store.write(lambda tx: tx.jobs.create(JOB))
    second = await store.write(lambda tx: tx.jobs.create(JOB))

    assert first == second
    [job] = await store.read(lambda tx: tx.jobs.unfinished())
    assert len(job.items) == 3


async def test_only_one_replica_claims_a_job_until_its_lease_runs_out(
    open_store: OpenStore,
) -> None:
    first, second = await open_store(), await open_store()
    job_id = await first.write(lambda tx: tx.jobs.create(JOB))

    assert await claim(first, job_id, "replica-a", timedelta(minutes=5)) is True
    assert await claim(second, job_id, "replica-b", timedelta(minutes=5)) is False
    assert await claim(first, job_id, "replica-a", timedelta(minutes=5)) is True  # renewed
    # The owner's last renewal leaves no time at all: the lease has run out at once (a
    # lease timed in milliseconds would run out early on a busy machine, failing the above).
    assert await claim(first, job_id, "replica-a", timedelta(0)) is True

    assert await claim(second, job_id, "replica-b", timedelta(minutes=5)) is True
    assert await claim(first, job_id, "replica-a", timedelta(minutes=5)) is False


async def test_concurrent_claims_of_one_job_have_one_winner(open_store: OpenStore) -> None:
    replicas = [await open_store(), await open_store()]
    job_id = await replicas[0].write(lambda tx: tx.jobs.create(JOB))

    results = await asyncio.gather(
        *(claim(replicas[n % 2], job_id, f"r{n}", timedelta(minutes=5)) for n in range(10))
    )

    assert results.count(True) == 1


async def test_a_job_created_with_an_owner_is_not_claimed_by_another(store: Store) -> None:
    job_id = await store.write(
        lambda tx: tx.jobs.create(JOB, owner="replica-a", lease=timedelta(minutes=5))
    )

    assert (
        await store.write(lambda tx: tx.jobs.claim(job_id, "replica-b", timedelta(minutes=5)))
        is False
    )
    [job] = await store.read(lambda tx: tx.jobs.unfinished())
    assert job.owner == "replica-a"


async def test_a_finished_job_cannot_be_claimed(store: Store) -> None:
    job_id = await store.write(lambda tx: tx.jobs.create(JOB))
    await store.write(lambda tx: tx.jobs.finish(job_id))

    assert (
        await store.write(lambda tx: tx.jobs.claim(job_id, "replica-a", timedelta(minutes=5)))
        is False
    )


async def test_recording_an_unknown_outcome_or_address_is_an_error(store: Store) -> None:
    job_id = await store.write(lambda tx: tx.jobs.create(JOB))

    with pytest.raises(ValueError, match="outcome"):
        await store.write(
            lambda tx: tx.jobs.record_item(
                job_id, "a@lab.org", outcome="ok", invitation_id=None, error=None
            )
        )
    with pytest.raises(LookupError):
        await store.write(
            lambda tx: tx.jobs.record_item(
                job_id, "z@lab.org", outcome="created", invitation_id="x", error=None
            )
        )
