"""The client's bounds against a hostile Gencove (issue 15), through the Gencove sandbox.

Listings that never end or answer more than asked, bodies too large or dripping,
Gencove's maintenance and error shapes, writes whose answer cannot be read, one deadline
per call, slots kept for writes and accepts, the member lookup, and identifiers that
must never leave their path segment.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator
from typing import Any

import pytest

from invite_bot.gencove import paging
from invite_bot.gencove.client import GencoveClient
from invite_bot.gencove.errors import (
    TOO_LARGE,
    GencoveError,
    GencoveInvalidId,
    GencoveMaintenance,
    GencoveNoLongerPending,
    GencoveNotFound,
    GencoveProtocolError,
    GencoveRateLimited,
    GencoveTimeout,
    GencoveUncertain,
    GencoveUnreadable,
    GencoveValidationError,
)
from invite_bot.gencove.models import Credentials, Invitation
from invite_bot.gencove.paging import ENDLESS, OTHER_PATH
from invite_bot.gencove.wire import LIST_BODY_CAP, OBJECT_BODY_CAP
from invite_bot.playground.gencove import FakeGencove, FakeInvitation
from tests.faults import Fault, GencoveFaults
from tests.support.gencove import INVITATIONS, ROLES, TOKENS, USER, Leaks, eventually, make_client

MEMBERS = "/api/v2/organization-users/"


async def _collect(invitations: AsyncIterator[Invitation], seen: list[str]) -> None:
    async for invitation in invitations:
        seen.append(invitation.id)


def _warnings(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and text in r.getMessage()
    ]


# =========================================================================== 1. listings end


async def test_a_next_link_back_to_the_same_page_ends_the_listing_with_one_error(
    gencove: FakeGencove,
    gencove_faults: GencoveFaults,
    client: GencoveClient,
    leaks: Leaks,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gencove.seed(30, 30)
    gencove_faults.inject("GET", INVITATIONS, Fault.page_loop().times(0))
    seen: list[str] = []

    err = await leaks.expect(
        GencoveProtocolError, _collect(client.iter_invitations("pending", 10), seen)
    )

    assert err.message == ENDLESS
    assert len(seen) == 10  # the page read is used; the loop is not followed
    assert gencove.count("GET", INVITATIONS) == 1
    [line] = _warnings(caplog, "abandoned")
    assert "repeats a page" in line


async def test_next_links_past_the_count_end_the_listing(
    gencove: FakeGencove,
    gencove_faults: GencoveFaults,
    client: GencoveClient,
    leaks: Leaks,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gencove.seed(12, 12)
    gencove_faults.inject("GET", INVITATIONS, Fault.endless_pages().times(0))
    seen: list[str] = []

    await leaks.expect(GencoveProtocolError, _collect(client.iter_invitations("pending", 5), seen))

    assert len(seen) == 12
    assert gencove.count("GET", INVITATIONS) == math.ceil(12 / 5) + 2
    assert len(_warnings(caplog, "abandoned")) == 1


async def test_a_listing_without_a_count_stops_at_the_absolute_ceiling(
    gencove: FakeGencove,
    gencove_faults: GencoveFaults,
    client: GencoveClient,
    leaks: Leaks,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(paging, "MAX_PAGES", 7)
    pages = [
        Fault.status(
            200,
            body={
                "meta": {"next": f"{gencove.url}{INVITATIONS}?limit=1&offset={n}&status=all"},
                "results": [],
            },
        )
        for n in range(1, 30)
    ]
    gencove_faults.inject("GET", INVITATIONS, *pages)

    await leaks.expect(GencoveProtocolError, _collect(client.iter_invitations("all", 1), []))

    assert gencove.count("GET", INVITATIONS) == 7


async def test_roles_and_member_listings_are_bounded_too(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, leaks: Leaks
) -> None:
    gencove_faults.inject("GET", ROLES, Fault.page_loop().times(0))
    gencove_faults.inject("GET", MEMBERS, Fault.endless_pages().times(0))

    await leaks.expect(GencoveProtocolError, client.list_roles())
    await leaks.expect(GencoveProtocolError, client.is_member("nobody@lab.example.com"))

    assert gencove.count("GET", ROLES) == 1
    assert gencove.count("GET", MEMBERS) == 2  # count 0: ceil(0 / 100) pages and 2 spare


async def test_a_next_link_to_another_path_of_gencove_is_not_followed(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, leaks: Leaks
) -> None:
    invitation = gencove.add_invitation("one@lab.example.com")
    page = {
        "meta": {"count": 2, "next": f"{gencove.url}/api/v2/user/?offset=1"},
        "results": [gencove.invitation_json(invitation)],
    }
    gencove_faults.inject("GET", INVITATIONS, Fault.status(200, body=page))

    err = await leaks.expect(GencoveProtocolError, _collect(client.iter_invitations(), []))

    assert err.message == OTHER_PATH
    assert gencove.count("GET", USER) == 0


async def test_a_next_link_that_is_no_url_is_a_protocol_error(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, leaks: Leaks
) -> None:
    page = {"meta": {"count": 9, "next": "http://[broken/api/v2/invitations/"}, "results": []}
    gencove_faults.inject("GET", INVITATIONS, Fault.status(200, body=page))
    err = await leaks.expect(GencoveProtocolError, _collect(client.iter_invitations(), []))
    assert err.message == "Gencove sent a page link the bot cannot read."


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_listing_larger_than_its_cap_is_refused_unread(
    gencove: FakeGencove,
    gencove_faults: GencoveFaults,
    client: GencoveClient,
    leaks: Leaks,
    chunked: bool,
) -> None:
    gencove.seed(3, 3)
    gencove_faults.inject("GET", INVITATIONS, Fault.oversized(LIST_BODY_CAP + 1, chunked=chunked))

    err = await leaks.expect(GencoveUnreadable, client.list_invitations_page())

    assert err.message == TOO_LARGE
    assert gencove.count("GET", INVITATIONS) == 1  # not retried either


async def test_a_single_object_has_a_smaller_cap_than_a_listing(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, leaks: Leaks
) -> None:
    gencove_faults.inject("GET", USER, Fault.oversized(OBJECT_BODY_CAP + 1, chunked=True))
    await leaks.expect(GencoveUnreadable, client.current_user())

    gencove_faults.inject("GET", INVITATIONS, Fault.oversized(OBJECT_BODY_CAP + 1, chunked=True))
    page = await client.list_invitations_page()  # within the listing cap: read
    assert page.count == 0


async def test_an_oversized_error_answer_gets_its_status_message(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, leaks: Leaks
) -> None:
    gencove_faults.inject(
        "GET", USER, Fault.status(403, body={"detail": "x" * (OBJECT_BODY_CAP + 10)})
    )
    err = await leaks.expect(GencoveError, client.current_user())
    assert err.message == "The Gencove key may not do this."


# =========================================================================== 2. more than asked


async def test_a_page_with_more_rows_than_asked_is_cut_to_the_limit(
    gencove: FakeGencove,
    gencove_faults: GencoveFaults,
    client: GencoveClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gencove.seed(20, 20)
    expected = await client.list_invitations_page("pending", 5)
    gencove_faults.inject("GET", INVITATIONS, Fault.extra_rows(4))

    page = await client.list_invitations_page("pending", 5)

    assert [inv.id for inv in page.results] == [inv.id for inv in expected.results]
    assert page.next == expected.next
    [line] = _warnings(caplog, "rows for limit=5")
    assert "9 rows" in line


async def test_every_page_too_long_still_gives_each_invitation_once(
    gencove: FakeGencove,
    gencove_faults: GencoveFaults,
    client: GencoveClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gencove.seed(25, 25)
    gencove_faults.inject("GET", INVITATIONS, Fault.extra_rows(7).times(0))

    ids = [inv.id async for inv in client.iter_invitations("pending", page_size=10)]

    assert sorted(ids) == sorted(str(inv.id) for inv in gencove.invitations.values())
    assert gencove.count("GET", INVITATIONS) == 3
    assert len(_warnings(caplog, "rows for limit=10")) == 1  # once per call


# =========================================================================== 3. Gencove's shapes


async def test_maintenance_is_shown_and_not_retried(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, leaks: Leaks
) -> None:
    gencove_faults.inject("GET", USER, *[Fault.maintenance("Upgrading.", "15:00 UTC")] * 5)
    gencove_faults.inject("POST", INVITATIONS, *[Fault.maintenance("Upgrading.", None)] * 5)

    err = await leaks.expect(GencoveMaintenance, client.current_user())
    assert err.message == "Gencove is under maintenance: Upgrading. (back around 15:00 UTC)"
    assert (err.maintenance_message, err.eta) == ("Upgrading.", "15:00 UTC")
    err = await leaks.expect(GencoveMaintenance, client.create_invitation("m@lab.example.com"))
    assert err.message == "Gencove is under maintenance: Upgrading."

    assert gencove.count("GET", USER) == 1
    assert gencove.count("POST", INVITATIONS) == 1
    assert gencove.count("GET", INVITATIONS) == 0  # nothing ambiguous: no lookup


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (["This invitation has expired."], "This invitation has expired."),
        ({"detail": "Not yours."}, "Not yours."),
        ({"email": ["Enter a valid email address."]}, "Enter a valid email address."),
        ({"email": {"code": ["Bad code."]}}, "Bad code."),
        ({"email": "bad"}, "bad."),
        ("", "Gencove refused the request."),
    ],
)
async def test_each_4xx_shape_from_gencove_reads_as_one_sentence(
    gencove: FakeGencove,
    gencove_faults: GencoveFaults,
    client: GencoveClient,
    leaks: Leaks,
    payload: Any,
    message: str,
) -> None:
    gencove_faults.inject("POST", INVITATIONS, Fault.status(400, body=payload))
    err = await leaks.expect(GencoveValidationError, client.create_invitation("a@lab.example.com"))
    assert err.message == message


async def test_retry_after_as_an_http_date_is_honoured(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, waits: list[float]
) -> None:
    gencove_faults.inject("GET", USER, Fault.retry_date(30))

    await client.current_user()

    [wait] = waits
    assert 27 <= wait <= 31  # HTTP dates have whole seconds
    assert gencove.count("GET", USER) == 2


async def test_a_503_with_retry_after_is_retried_after_it(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, waits: list[float]
) -> None:
    gencove_faults.inject("GET", USER, Fault.status(503, retry_after=3))
    await client.current_user()
    assert waits == [3.0]


# =========================================================================== 4. may have happened

UNREADABLE_ANSWERS = {
    "cut JSON": Fault.truncated(abort=False),
    "empty 201": Fault.truncated(keep=0, abort=False),
    "wrong shape": Fault.status(201, body={"id": 1}, after_effect=True),
    "not JSON": Fault.status(201, body="<html>Created</html>", after_effect=True),
    "too large": Fault.oversized(OBJECT_BODY_CAP + 10),
    "connection cut while reading": Fault.truncated(abort=True),
}


@pytest.mark.parametrize("max_retries", [0, 3])
@pytest.mark.parametrize("answer", UNREADABLE_ANSWERS.values(), ids=UNREADABLE_ANSWERS.keys())
async def test_a_create_whose_answer_cannot_be_read_returns_the_invitation_it_made(
    gencove: FakeGencove, gencove_faults: GencoveFaults, answer: Fault, max_retries: int
) -> None:
    gencove_faults.inject("POST", INVITATIONS, answer)
    async with make_client(gencove, max_retries=max_retries) as client:
        invitation = await client.create_invitation("cut@lab.example.com", "viewer")

    [made] = gencove.find("cut@lab.example.com")
    assert invitation.id == str(made.id)
    assert invitation.role == "viewer"
    assert gencove.count("POST", INVITATIONS) == 1
    assert gencove.count("GET", INVITATIONS) == 1  # the lookup


async def test_an_unreadable_create_that_made_nothing_is_sent_again(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, leaks: Leaks
) -> None:
    gencove_faults.inject("POST", INVITATIONS, Fault.status(201, body="garbage"))  # before effect

    invitation = await client.create_invitation("again@lab.example.com")

    assert [str(inv.id) for inv in gencove.find("again@lab.example.com")] == [invitation.id]
    assert [r.method for r in gencove.requests] == ["POST", "GET", "POST"]

    gencove_faults.inject("POST", INVITATIONS, Fault.status(201, body="garbage"))
    async with make_client(gencove, max_retries=0) as once:
        err = await leaks.expect(GencoveUncertain, once.create_invitation("b@lab.example.com"))
    assert isinstance(err.cause, GencoveUnreadable)
    assert gencove.find("b@lab.example.com") == []


async def test_a_revoke_answered_2xx_succeeded_whatever_its_body(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient
) -> None:
    invitation = gencove.add_invitation("gone@lab.example.com")
    gencove_faults.inject("DELETE", INVITATIONS, Fault.status(200, "<html>", after_effect=True))

    assert await client.revoke_invitation(str(invitation.id)) is None

    assert invitation.status == "revoked"
    assert gencove.count("DELETE", INVITATIONS) == 1


@pytest.mark.parametrize(
    "lost",
    [[Fault.hang(2, after_effect=True)] * 2, [Fault.reset(after_effect=True)] * 4],
    ids=["timed out", "connection dropped"],
)
async def test_a_revoke_whose_answer_was_lost_after_it_took_effect_is_no_longer_pending(
    gencove: FakeGencove, gencove_faults: GencoveFaults, leaks: Leaks, lost: list[Fault]
) -> None:
    invitation = gencove.add_invitation("maybe@lab.example.com")
    gencove_faults.inject("DELETE", INVITATIONS, *lost)
    async with make_client(gencove, timeout=0.3, max_retries=1) as client:
        err = await leaks.expect(
            GencoveNoLongerPending, client.revoke_invitation(str(invitation.id))
        )

    assert isinstance(err, GencoveValidationError)  # what callers already resolve by looking
    assert err.message == "The invitation is no longer pending."
    assert invitation.status == "revoked"
    assert gencove.count("GET", INVITATIONS) == 1  # the one look at the pending list


async def test_a_revoke_whose_answer_was_lost_before_it_took_effect_is_the_plain_failure(
    gencove: FakeGencove, gencove_faults: GencoveFaults, leaks: Leaks
) -> None:
    invitation = gencove.add_invitation("still@lab.example.com")
    gencove_faults.inject("DELETE", INVITATIONS, *[Fault.hang(2)] * 2)  # cut off before the effect
    async with make_client(gencove, timeout=0.3, max_retries=1) as client:
        await leaks.expect(GencoveTimeout, client.revoke_invitation(str(invitation.id)))
    assert invitation.status == "pending"


async def test_a_revoke_that_cannot_be_confirmed_at_all_is_uncertain(
    gencove: FakeGencove, gencove_faults: GencoveFaults, leaks: Leaks
) -> None:
    invitation = gencove.add_invitation("maybe@lab.example.com")
    gencove_faults.inject("DELETE", INVITATIONS, *[Fault.hang(2, after_effect=True)] * 2)
    gencove_faults.inject("GET", INVITATIONS, Fault.status(500))  # and the pending list fails too
    async with make_client(gencove, timeout=0.3, max_retries=1) as client:
        err = await leaks.expect(GencoveUncertain, client.revoke_invitation(str(invitation.id)))
    assert isinstance(err.cause, GencoveTimeout)
    assert err.message == "Gencove did not confirm it, so it may or may not have happened."


async def _invitee(gencove: FakeGencove, leaks: Leaks) -> tuple[FakeInvitation, Credentials]:
    gencove.add_user("ivy@lab.example.com", api_key="gc-user-ivy")
    invitation = gencove.add_invitation("ivy@lab.example.com")
    leaks.secrets.add(invitation.token)
    return invitation, Credentials.api_key("gc-user-ivy")


@pytest.mark.parametrize(
    "lost",
    [[Fault.truncated(abort=False)], [Fault.hang(2, after_effect=True)] * 2],
    ids=["unreadable", "timed out"],
)
async def test_an_accept_whose_answer_was_lost_is_read_back_from_the_invitation(
    gencove: FakeGencove, gencove_faults: GencoveFaults, leaks: Leaks, lost: list[Fault]
) -> None:
    invitation, ivy = await _invitee(gencove, leaks)
    gencove_faults.inject("PATCH", TOKENS, *lost)
    async with make_client(gencove, timeout=0.3, max_retries=1) as client:
        details = await client.accept_invitation(invitation.token, ivy)
    assert details.status == "accepted"
    assert invitation.status == "accepted"
    assert gencove.count("GET", TOKENS) == 1


async def test_an_accept_lost_before_it_took_effect_is_the_plain_failure(
    gencove: FakeGencove, gencove_faults: GencoveFaults, leaks: Leaks
) -> None:
    invitation, ivy = await _invitee(gencove, leaks)
    gencove_faults.inject("PATCH", TOKENS, *[Fault.hang(2)] * 2)
    async with make_client(gencove, timeout=0.3, max_retries=1) as client:
        await leaks.expect(GencoveTimeout, client.accept_invitation(invitation.token, ivy))
    assert invitation.status == "pending"


async def test_an_accept_that_cannot_be_confirmed_at_all_is_uncertain(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, leaks: Leaks
) -> None:
    invitation, ivy = await _invitee(gencove, leaks)
    gencove_faults.inject("PATCH", TOKENS, Fault.truncated(abort=False))
    gencove_faults.inject("GET", TOKENS, Fault.status(500))

    err = await leaks.expect(GencoveUncertain, client.accept_invitation(invitation.token, ivy))

    assert isinstance(err.cause, GencoveUnreadable)
    assert invitation.status == "accepted"  # it was: the caller must look
    assert gencove.count("PATCH", TOKENS) == 1


# =========================================================================== 5. time and slots


async def test_one_call_has_one_deadline_across_its_tries(
    gencove: FakeGencove, gencove_faults: GencoveFaults, leaks: Leaks
) -> None:
    gencove_faults.inject("GET", USER, *[Fault.hang(5)] * 7)
    async with make_client(gencove, timeout=0.3, deadline=1.0, max_retries=6) as client:
        await leaks.expect(GencoveTimeout, client.current_user())
    assert gencove.count("GET", USER) <= 4  # not the 7 tries of 0.3 s each


async def test_the_default_deadline_is_twice_the_timeout(
    gencove: FakeGencove, gencove_faults: GencoveFaults, leaks: Leaks
) -> None:
    gencove_faults.inject("GET", USER, *[Fault.hang(5)] * 7)
    client = GencoveClient(
        gencove.url, gencove.org_api_key, timeout=0.4, max_retries=6, backoff_base=0.01
    )
    async with client:
        await leaks.expect(GencoveTimeout, client.current_user())
    assert gencove.count("GET", USER) <= 3


async def test_a_dripping_answer_is_cut_by_the_deadline(
    gencove: FakeGencove, gencove_faults: GencoveFaults, leaks: Leaks
) -> None:
    gencove_faults.inject("GET", USER, Fault.drip(interval=0.05, chunk=1).times(0))
    try:
        async with make_client(gencove, timeout=1.0, deadline=2.5, max_retries=3) as client:
            await leaks.expect(GencoveTimeout, client.current_user())
    finally:
        gencove_faults.stop_drips()
    assert gencove.count("GET", USER) <= 3  # not four whole tries


async def test_a_create_shares_one_deadline_across_its_tries_and_lookups(
    gencove: FakeGencove, gencove_faults: GencoveFaults, leaks: Leaks
) -> None:
    gencove_faults.inject("POST", INVITATIONS, Fault.hang(5).times(0))
    async with make_client(gencove, timeout=0.3, deadline=1.0, max_retries=6) as client:
        await leaks.expect(GencoveTimeout, client.create_invitation("slow@lab.example.com"))
    assert gencove.count("POST", INVITATIONS) <= 4
    assert gencove.find("slow@lab.example.com") == []


async def test_a_call_queued_behind_the_bots_own_requests_is_not_failed_by_its_deadline(
    gencove: FakeGencove,
) -> None:
    # One slot, each create answered in 0.3 s: the tenth waits about 2.7 s for the slot,
    # longer than its 2 s deadline, which counts Gencove's time only.
    gencove.latency = 0.3
    async with make_client(gencove, timeout=1.0, deadline=2.0, max_concurrency=1) as client:
        made = await asyncio.gather(
            *(client.create_invitation(f"q{i}@lab.example.com") for i in range(10))
        )
    assert len({invitation.id for invitation in made}) == 10
    assert gencove.count("POST", INVITATIONS) == 10


async def test_a_write_is_not_sent_again_with_only_a_sliver_of_the_deadline_left(
    gencove: FakeGencove, gencove_faults: GencoveFaults, leaks: Leaks
) -> None:
    invitation = gencove.add_invitation("sliver@lab.example.com")
    for method, path in (("GET", USER), ("DELETE", INVITATIONS), ("POST", INVITATIONS)):
        gencove_faults.inject(method, path, Fault.hang(5).times(0))
    async with make_client(gencove, timeout=0.5, deadline=0.8, max_retries=3) as client:
        await leaks.expect(GencoveTimeout, client.current_user())
        await leaks.expect(GencoveTimeout, client.revoke_invitation(str(invitation.id)))
        await leaks.expect(GencoveTimeout, client.create_invitation("x@lab.example.com"))

    assert gencove.count("GET", USER) == 2  # a read may use what is left
    assert gencove.count("DELETE", INVITATIONS) == 1  # a write needs a whole try's time
    assert gencove.count("POST", INVITATIONS) == 1
    assert invitation.status == "pending"


async def test_a_retry_after_beyond_the_deadline_is_not_waited(
    gencove: FakeGencove, gencove_faults: GencoveFaults, leaks: Leaks, waits: list[float]
) -> None:
    gencove_faults.inject("GET", USER, Fault.status(429, retry_after=30))
    async with make_client(gencove, deadline=5.0) as client:
        err = await leaks.expect(GencoveRateLimited, client.current_user())
    assert err.retry_after == 30.0
    assert waits == []
    assert gencove.count("GET", USER) == 1


async def test_listing_reads_leave_slots_for_writes_and_accepts(
    gencove: FakeGencove, gencove_faults: GencoveFaults, leaks: Leaks
) -> None:
    gencove.seed(40, 40)  # pages of some kilobytes, dripped a byte at a time
    gencove.add_user("ivy@lab.example.com", api_key="gc-user-ivy")
    invitation = gencove.add_invitation("ivy@lab.example.com")
    leaks.secrets.add(invitation.token)
    gencove_faults.inject("GET", INVITATIONS, Fault.drip(interval=0.05, chunk=1).times(0))
    async with make_client(gencove, timeout=30.0, max_concurrency=4) as client:
        lists = [asyncio.create_task(client.list_invitations_page()) for _ in range(6)]
        try:
            await eventually(lambda: gencove.count("GET", INVITATIONS) >= 3, timeout=20)
            ivy = Credentials.api_key("gc-user-ivy")
            details = await asyncio.wait_for(client.get_invitation_by_token(invitation.token), 20)
            accepted = await asyncio.wait_for(client.accept_invitation(details.token, ivy), 20)
            created = await asyncio.wait_for(client.create_invitation("new@lab.example.com"), 20)

            assert accepted.status == "accepted"
            assert created.is_pending
            assert not any(task.done() for task in lists)  # all still dripping meanwhile
            assert gencove.count("GET", INVITATIONS) == 3  # listing reads held 3 of 4 slots
        finally:
            gencove_faults.clear_faults()
            gencove_faults.stop_drips()
        pages = await asyncio.gather(*lists)  # a cut-off drip is retried: all end well
    assert all(page.count == 41 for page in pages)


# =========================================================================== 6. members


async def test_is_member_asks_the_member_search_and_compares_whole_addresses(
    gencove: FakeGencove, client: GencoveClient
) -> None:
    for i in range(120):  # substring matches that sort before the member sought
        gencove.add_user(f"a{i:03d}ana@lab.example.com", member=True)
    gencove.add_user("Ana@Lab.example.com", member=True)
    gencove.add_user("bob@lab.example.com")  # a Gencove user, not a member
    gencove.add_user("a+b@lab.example.com", member=True)

    assert await client.is_member("  ana@lab.EXAMPLE.com ")
    searches = [r.query for r in gencove.requests if r.path == MEMBERS]
    assert searches == [
        {"search": "ana@lab.EXAMPLE.com", "limit": "100", "offset": "0"},
        {"search": "ana@lab.EXAMPLE.com", "limit": "100", "offset": "100"},
    ]
    assert not await client.is_member("bob@lab.example.com")
    assert not await client.is_member("na@lab.example.com")  # a substring, not a member
    assert await client.is_member("a+b@lab.example.com")
    assert not await client.is_member("nobody@lab.example.com")
    member = await client.find_member("ana@lab.example.com")
    assert member is not None
    assert member.email == "Ana@Lab.example.com"
    assert member.roles["organization"].name == "member"


# =========================================================================== 7. identifiers


@pytest.mark.parametrize(
    "bad_id",
    [
        "../../user/",
        "..",
        ".",
        "",
        "00000000-0000-4000-8000-00000000000g",
        "00000000-0000-4000-8000-000000000000/../../user",
        "00000000-0000-4000-8000-000000000000%2F..",
        "{00000000-0000-4000-8000-000000000000}",
        "urn:uuid:00000000-0000-4000-8000-000000000000",
        "00000000000040008000000000000000",
        " 00000000-0000-4000-8000-000000000000",
    ],
)
async def test_a_revoke_with_an_id_that_is_no_uuid_sends_nothing(
    gencove: FakeGencove, client: GencoveClient, leaks: Leaks, bad_id: str
) -> None:
    err = await leaks.expect(GencoveInvalidId, client.revoke_invitation(bad_id))
    assert err.message == "That is not a Gencove invitation id."
    assert isinstance(err, ValueError)
    assert gencove.requests == []


async def test_an_upper_case_uuid_is_revoked_by_its_canonical_path(
    gencove: FakeGencove, client: GencoveClient
) -> None:
    invitation = gencove.add_invitation("upper@lab.example.com")
    await client.revoke_invitation(str(invitation.id).upper())
    assert gencove.requests[-1].path == f"{INVITATIONS}{invitation.id}"
    assert invitation.status == "revoked"


@pytest.mark.parametrize(
    "bad_token",
    ["..", ".", "", "...", "a\nb", "x" * 2000, "../../user/", "a/b", "%2E%2E", "..%2F", "a b", "ü"],
)
async def test_a_token_that_is_no_plain_token_sends_nothing(
    gencove: FakeGencove, client: GencoveClient, leaks: Leaks, bad_token: str
) -> None:
    gencove.add_user("ivy@lab.example.com", api_key="gc-user-ivy")
    err = await leaks.expect(GencoveInvalidId, client.get_invitation_by_token(bad_token))
    assert err.message == "That is not a valid invitation token."
    await leaks.expect(
        GencoveInvalidId,
        client.accept_invitation(bad_token, Credentials.api_key("gc-user-ivy")),
    )
    assert gencove.requests == []


async def test_a_token_is_quoted_as_one_path_segment(
    gencove: FakeGencove, client: GencoveClient, leaks: Leaks
) -> None:
    await leaks.expect(GencoveNotFound, client.get_invitation_by_token("no:such+token=~.x"))
    [request] = gencove.requests
    assert request.path == f"{TOKENS}no:such+token=~.x"
    assert request.status == 404
