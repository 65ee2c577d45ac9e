"""Gencove's pending list by address, each row parsed only when its address is looked up
(invite_bot/gencove/by_address.py), read through the client from the Gencove stand-in."""

from __future__ import annotations

from typing import Any

import pytest

from invite_bot.gencove.by_address import InvitationsByAddress
from invite_bot.gencove.client import GencoveClient
from invite_bot.gencove.errors import GencoveUnreadable
from invite_bot.playground.gencove import FakeGencove


def row(email: Any, **changes: Any) -> dict[str, Any]:
    found = {
        "id": f"id-{email}",
        "email": email,
        "last_status": {"id": "s1", "status": "pending", "created": "2026-12-01T10:00:00Z"},
        "expires": "2026-12-08T10:00:00Z",
        "role": "member",
    }
    return {**found, **changes}


async def test_every_page_is_read_and_addresses_are_found_whatever_their_case(
    gencove: FakeGencove, client: GencoveClient
) -> None:
    for i in range(250):  # three pages of 100
        gencove.add_invitation(f"user{i}@lab.org")
    gencove.add_invitation("Ana@Lab.org", role="admin")

    found = await client.pending_by_address()

    assert len(found) == 251
    assert found["ana@lab.org"].role == "admin"
    assert found["user249@lab.org"].email == "user249@lab.org"
    assert "bob@lab.org" not in found


def test_a_row_that_does_not_parse_fails_only_its_own_address() -> None:
    found = InvitationsByAddress()
    found.add([row("ana@lab.org"), row("bob@lab.org", expires="next tuesday")])

    assert found["ana@lab.org"].id == "id-ana@lab.org"
    with pytest.raises(GencoveUnreadable):
        found["bob@lab.org"]


def test_the_first_row_listed_for_an_address_wins_and_rows_without_one_are_skipped() -> None:
    found = InvitationsByAddress()
    found.add([row("ana@lab.org", id="first"), row(None), row("ANA@lab.org", id="second")])

    assert list(found) == ["ana@lab.org"]
    assert found["ana@lab.org"].id == "first"
    assert found["ana@lab.org"] is found["ana@lab.org"]  # parsed once


@pytest.mark.parametrize("odd", ["not an object", ["a list"], {"email": 42}, {"email": ["a"]}])
def test_a_row_that_is_not_invitation_shaped_makes_the_listing_unreadable(odd: Any) -> None:
    with pytest.raises(GencoveUnreadable):
        InvitationsByAddress().add([row("ana@lab.org"), odd])
