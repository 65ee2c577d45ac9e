"""The watcher's decisions, without I/O: Gencove's pending list against the store's
(`diff`), what the look-ups found (`located`), and the one `Transition` constructor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import get_args

import pytest

from invite_bot.domain.command.types import STATUSES as LISTABLE
from invite_bot.domain.records import KnownInvitation, Transition
from invite_bot.domain.transitions import LOOKUP_ORDER, Diff, diff, located, transition
from invite_bot.gencove.models import (
    STATUSES,
    Actor,
    Invitation,
    InvitationStatus,
    ListStatus,
    StatusChange,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
CHANGED = NOW - 2 * HOUR  # when Gencove says an invitation moved to its status


def listed(
    n: int,
    status: str = "pending",
    *,
    email: str | None = None,
    expires: datetime = NOW + 24 * HOUR,
    changed: datetime | None = CHANGED,
    by: str | None = "Gencove User",
) -> Invitation:
    """Invitation `n` as Gencove lists it."""
    return Invitation(
        id=f"inv-{n}",
        email=f"person{n}@lab.org" if email is None else email,
        last_status=StatusChange(
            id=f"st-{n}", status=status, created=changed, actor=Actor(id="a1", name=by)
        ),
        expires=expires,
        role="member",
    )


def stored(
    n: int, status: str = "pending", *, expires: datetime | None = NOW + 24 * HOUR
) -> KnownInvitation:
    """Invitation `n` as the store knows it."""
    return KnownInvitation(
        id=f"inv-{n}",
        email=f"person{n}@lab.org",
        role="member",
        status=status,
        expires=expires,
        inviter_slack_id=None,
        channel_id=None,
        message_ts=None,
        block_id=None,
        first_seen=NOW - 48 * HOUR,
        updated_at=NOW - 48 * HOUR,
    )


# (invitation id, old status, new status, actor, at): what each case must decide
Decided = tuple[str, str | None, str, str | None, datetime]


def summary(transitions: Sequence[Transition]) -> list[Decided]:
    return [(t.invitation_id, t.old_status, t.new_status, t.actor_name, t.at) for t in transitions]


# -- diff -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffCase:
    name: str
    pending: Sequence[Invitation] = ()
    known: Sequence[KnownInvitation] = ()
    in_flight: frozenset[str] = frozenset()
    decided: Sequence[Decided] = ()
    to_seek: Sequence[str] = field(default_factory=tuple)


DIFF_CASES = [
    DiffCase("nothing at all"),
    DiffCase(
        "new invitation: a pending transition, by whom and when Gencove says",
        pending=[listed(1)],
        decided=[("inv-1", None, "pending", "Gencove User", CHANGED)],
    ),
    DiffCase(
        "new invitation Gencove gives no time for: now",
        pending=[listed(1, changed=None, by=None)],
        decided=[("inv-1", None, "pending", None, NOW)],
    ),
    DiffCase(
        "still pending: nothing",
        pending=[listed(1)],
        known=[stored(1)],
    ),
    DiffCase(
        "listed, and the store knows it in another status: nothing",
        pending=[listed(1)],
        known=[stored(1, "revoked")],
    ),
    DiffCase(
        "in flight: left to the invite job",
        pending=[listed(1, email="Person1@Lab.org")],
        in_flight=frozenset({"person1@lab.org"}),
    ),
    DiffCase(
        "in flight is about addresses: another address is still new",
        pending=[listed(1), listed(2)],
        in_flight=frozenset({"person1@lab.org"}),
        decided=[("inv-2", None, "pending", "Gencove User", CHANGED)],
    ),
    DiffCase(
        "gone and expired by date: expired at its expiry, no look-up",
        known=[stored(1, expires=NOW - HOUR)],
        decided=[("inv-1", "pending", "expired", None, NOW - HOUR)],
    ),
    DiffCase(
        "gone, expiring right now: expired",
        known=[stored(1, expires=NOW)],
        decided=[("inv-1", "pending", "expired", None, NOW)],
    ),
    DiffCase(
        "gone, expiry in the future: to be sought",
        known=[stored(1, expires=NOW + HOUR)],
        to_seek=["inv-1"],
    ),
    DiffCase(
        "gone, no expiry known: to be sought",
        known=[stored(1, expires=None)],
        to_seek=["inv-1"],
    ),
    DiffCase(
        "gone while an invite job works on its address: still the watcher's",
        known=[stored(1, expires=NOW - HOUR), stored(2)],
        in_flight=frozenset({"person1@lab.org", "person2@lab.org"}),
        decided=[("inv-1", "pending", "expired", None, NOW - HOUR)],
        to_seek=["inv-2"],
    ),
    DiffCase(
        "known in another status and not listed: nothing",
        known=[stored(1, "accepted"), stored(2, "revoked", expires=NOW - HOUR)],
    ),
    DiffCase(
        "all at once: new first, then expired, in the order given",
        pending=[listed(3), listed(1), listed(4)],
        known=[stored(1), stored(2, expires=NOW - HOUR), stored(5), stored(6, expires=NOW)],
        decided=[
            ("inv-3", None, "pending", "Gencove User", CHANGED),
            ("inv-4", None, "pending", "Gencove User", CHANGED),
            ("inv-2", "pending", "expired", None, NOW - HOUR),
            ("inv-6", "pending", "expired", None, NOW),
        ],
        to_seek=["inv-5"],
    ),
]


@pytest.mark.parametrize("case", DIFF_CASES, ids=[c.name for c in DIFF_CASES])
def test_diff(case: DiffCase) -> None:
    result = diff(case.pending, case.known, case.in_flight, NOW)
    assert summary(result.transitions) == list(case.decided)
    assert list(result.to_seek) == list(case.to_seek)
    known = {k.id: k for k in case.known}
    assert all(result.to_seek[i] is known[i] for i in case.to_seek)


def test_diff_transitions_carry_the_invitation() -> None:
    result = diff([listed(1, email="Ana@Lab.org")], [stored(2, expires=NOW - HOUR)], (), NOW)
    assert list(result.transitions) == [
        Transition(
            invitation_id="inv-1",
            email="ana@lab.org",
            role="member",
            old_status=None,
            new_status="pending",
            expires=NOW + 24 * HOUR,
            actor_name="Gencove User",
            at=CHANGED,
        ),
        Transition(
            invitation_id="inv-2",
            email="person2@lab.org",
            role="member",
            old_status="pending",
            new_status="expired",
            expires=NOW - HOUR,
            actor_name=None,
            at=NOW - HOUR,
        ),
    ]


# -- located: what the look-ups found ---------------------------------------------------


@dataclass(frozen=True)
class FoundCase:
    name: str
    to_seek: Sequence[KnownInvitation]
    hits: Sequence[Invitation]
    decided: Sequence[Decided] = ()
    still_sought: Sequence[str] = field(default_factory=tuple)


FOUND_CASES = [
    FoundCase(
        "accepted",
        to_seek=[stored(1)],
        hits=[listed(1, "accepted", by="Ana")],
        decided=[("inv-1", "pending", "accepted", "Ana", CHANGED)],
    ),
    FoundCase(
        "revoked",
        to_seek=[stored(1)],
        hits=[listed(1, "revoked", by="Bob")],
        decided=[("inv-1", "pending", "revoked", "Bob", CHANGED)],
    ),
    FoundCase(
        "expired",
        to_seek=[stored(1)],
        hits=[listed(1, "expired", by=None)],
        decided=[("inv-1", "pending", "expired", None, CHANGED)],
    ),
    FoundCase(
        "no time given: now",
        to_seek=[stored(1)],
        hits=[listed(1, "accepted", changed=None)],
        decided=[("inv-1", "pending", "accepted", "Gencove User", NOW)],
    ),
    FoundCase(
        # e.g. read from the `revoked` list, one shows `expired`: the status it shows wins
        "found with a different status than the list's: the one it shows",
        to_seek=[stored(1), stored(2)],
        hits=[listed(1, "expired", by=None), listed(2, "revoked", by="Bob")],
        decided=[
            ("inv-1", "pending", "expired", None, CHANGED),
            ("inv-2", "pending", "revoked", "Bob", CHANGED),
        ],
    ),
    FoundCase(
        "not found at all: still sought",
        to_seek=[stored(1), stored(2)],
        hits=[listed(9, "accepted"), listed(2, "accepted")],
        decided=[("inv-2", "pending", "accepted", "Gencove User", CHANGED)],
        still_sought=["inv-1"],
    ),
    FoundCase(
        "nothing read: all still sought",
        to_seek=[stored(1), stored(2)],
        hits=[],
        still_sought=["inv-1", "inv-2"],
    ),
    FoundCase(
        "listed twice (the list moved between pages): one transition",
        to_seek=[stored(1)],
        hits=[listed(1, "accepted"), listed(1, "accepted")],
        decided=[("inv-1", "pending", "accepted", "Gencove User", CHANGED)],
    ),
]


@pytest.mark.parametrize("case", FOUND_CASES, ids=[c.name for c in FOUND_CASES])
def test_located(case: FoundCase) -> None:
    to_seek = {k.id: k for k in case.to_seek}
    result = located(to_seek, case.hits, NOW)
    assert summary(result.transitions) == list(case.decided)
    assert list(result.to_seek) == list(case.still_sought)
    assert list(to_seek) == [k.id for k in case.to_seek]  # the caller's mapping is left as is


def test_a_poll_is_diff_then_one_located_per_list() -> None:
    """What the watcher does with the two: each list read looks only for what is left."""
    pending = [listed(1), listed(2)]
    known = [stored(2), stored(3), stored(4), stored(5, expires=NOW - HOUR), stored(6)]
    lists = {
        "accepted": [listed(3, "accepted"), listed(7, "accepted")],
        "revoked": [listed(3, "revoked"), listed(4, "expired")],
        "expired": [listed(8, "expired")],
    }
    decided = diff(pending, known, (), NOW)
    found, sought = list(decided.transitions), decided.to_seek
    for status in LOOKUP_ORDER:
        step = located(sought, lists[status], NOW)
        found += step.transitions
        sought = step.to_seek
    assert [(t.invitation_id, t.old_status, t.new_status) for t in found] == [
        ("inv-1", None, "pending"),
        ("inv-5", "pending", "expired"),
        ("inv-3", "pending", "accepted"),
        ("inv-4", "pending", "expired"),
    ]
    assert list(sought) == ["inv-6"]
    assert isinstance(decided, Diff)


# -- the one constructor ----------------------------------------------------------------


def test_transition_of_a_gencove_invitation_lowercases_its_address() -> None:
    made = transition(listed(1, email="Ana@Lab.ORG"), old=None, new="pending", actor=None, at=NOW)
    assert (made.email, made.role, made.expires) == ("ana@lab.org", "member", NOW + 24 * HOUR)


def test_transition_uses_the_address_given_when_gencove_shows_none() -> None:
    shown = listed(1, email="")
    made = transition(shown, old=None, new="pending", actor=None, at=NOW, email="Ana@Lab.org")
    assert made.email == "ana@lab.org"
    assert transition(shown, old=None, new="pending", actor=None, at=NOW).email == ""


def test_transition_of_a_stored_invitation_keeps_what_the_store_has() -> None:
    known = stored(1, expires=None)
    made = transition(known, old="pending", new="revoked", actor="U0ADMIN01", at=NOW)
    assert made == Transition(
        invitation_id="inv-1",
        email="person1@lab.org",
        role="member",
        old_status="pending",
        new_status="revoked",
        expires=None,
        actor_name="U0ADMIN01",
        at=NOW,
    )


# -- one status literal -----------------------------------------------------------------


def test_list_statuses_are_the_invitation_statuses_and_all() -> None:
    assert set(get_args(ListStatus)) == {*get_args(InvitationStatus), "all"}
    assert set(LISTABLE) == set(get_args(ListStatus))
    assert set(STATUSES) == set(get_args(InvitationStatus))
    assert set(LOOKUP_ORDER) == set(STATUSES) - {"pending"}
