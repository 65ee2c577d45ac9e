"""`GencoveClient` against the Gencove stand-in: operations, errors, retries, secrets.

Every test runs against `FakeGencove` (real loopback HTTP, OpenAPI-checked); the `gencove`
fixture fails the test if the client sent or received anything the API document forbids.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr

from invite_bot.gencove.client import MAX_RETRY_AFTER, GencoveClient
from invite_bot.gencove.errors import (
    GencoveConnectionError,
    GencoveForbidden,
    GencoveNotFound,
    GencoveProtocolError,
    GencoveRateLimited,
    GencoveServerError,
    GencoveTimeout,
    GencoveUnauthorized,
    GencoveValidationError,
)
from invite_bot.gencove.models import Credentials, Invitation, InvitationPage
from invite_bot.playground.gencove import FakeGencove
from tests.faults import Fault, GencoveFaults
from tests.support.gencove import (
    INVITATIONS,
    ROLES,
    TOKENS,
    USER,
    Leaks,
    closed_port_url,
    eventually,
    make_client,
)

# =========================================================================== operations


async def test_create_invitation_returns_the_pending_invitation_with_its_role(
    gencove: FakeGencove, client: GencoveClient
) -> None:
    invitation = await client.create_invitation("new.hire@lab.example.com", "viewer")

    assert isinstance(invitation, Invitation)
    assert invitation.email == "new.hire@lab.example.com"
    assert invitation.role == "viewer"
    assert invitation.status == "pending"
    assert invitation.is_pending
    stored = gencove.find("new.hire@lab.example.com")
    assert [str(inv.id) for inv in stored] == [invitation.id]
    assert gencove.requests[-1].json == {"email": "new.hire@lab.example.com", "role": "viewer"}
    assert gencove.requests[-1].authorization == f"Api-Key {gencove.org_api_key}"


async def test_create_invitation_without_role_gets_gencoves_default_role(
    client: GencoveClient,
) -> None:
    invitation = await client.create_invitation("plain@lab.example.com")
    assert invitation.role == "member"


async def test_list_invitations_page_has_count_and_results(
    gencove: FakeGencove, client: GencoveClient
) -> None:
    gencove.seed(30, 12)

    page = await client.list_invitations_page("pending", limit=5, offset=0)

    assert isinstance(page, InvitationPage)
    assert page.count == 12
    assert len(page.results) == 5
    assert all(inv.status == "pending" for inv in page.results)
    assert page.next is not None
    assert page.previous is None
    everything = await client.list_invitations_page("all", limit=100)
    assert everything.count == 30
    assert everything.next is None
    assert gencove.requests[0].query == {"status": "pending", "limit": "5", "offset": "0"}


async def test_iter_invitations_follows_next_across_three_pages(
    gencove: FakeGencove, client: GencoveClient
) -> None:
    gencove.seed(250, 250)

    ids = [inv.id async for inv in client.iter_invitations("pending", page_size=100)]

    assert len(ids) == 250
    assert len(set(ids)) == 250
    assert set(ids) == {str(inv.id) for inv in gencove.invitations.values()}
    assert gencove.count("GET", INVITATIONS) == 3
    assert [r.query.get("offset") for r in gencove.requests] == ["0", "100", "200"]


async def test_iter_pages_stops_fetching_when_the_caller_stops(
    gencove: FakeGencove, client: GencoveClient
) -> None:
    gencove.seed(250, 250)
    async for page in client.iter_pages("pending", page_size=100):
        assert len(page.results) == 100
        break
    assert gencove.count("GET", INVITATIONS) == 1


async def test_find_pending_matches_case_insensitively_across_pages(
    gencove: FakeGencove, client: GencoveClient
) -> None:
    target = gencove.add_invitation("Mixed.Case@Lab.example.com")  # oldest: on the last page
    gencove.seed(150, 150)
    gencove.add_invitation("gone@lab.example.com", status="revoked")

    found = await client.find_pending("  mixed.case@lab.EXAMPLE.com ")

    assert found is not None
    assert found.id == str(target.id)
    assert await client.find_pending("gone@lab.example.com") is None
    assert await client.find_pending("nobody@lab.example.com") is None


async def test_revoke_invitation_revokes_it_in_gencove(
    gencove: FakeGencove, client: GencoveClient
) -> None:
    invitation = await client.create_invitation("revoke.me@lab.example.com")

    assert await client.revoke_invitation(invitation.id) is None

    assert gencove.get_invitation(invitation.id).status == "revoked"
    assert await client.find_pending("revoke.me@lab.example.com") is None


async def test_revoking_a_non_pending_invitation_is_a_validation_error(
    gencove: FakeGencove, client: GencoveClient, leaks: Leaks
) -> None:
    accepted = gencove.add_invitation("done@lab.example.com", status="accepted")
    err = await leaks.expect(GencoveValidationError, client.revoke_invitation(str(accepted.id)))
    assert err.message == "Only pending invitations can be revoked."
    assert gencove.count("DELETE", INVITATIONS) == 1  # a 400 is not retried


async def test_get_invitation_by_token_shows_the_invitee_view(
    gencove: FakeGencove, client: GencoveClient
) -> None:
    fake_inv = gencove.add_invitation("token.holder@lab.example.com", role="viewer")

    details = await client.get_invitation_by_token(fake_inv.token)

    assert details.token == fake_inv.token
    assert details.status == "pending"
    assert details.role == "viewer"
    assert details.organization.name == gencove.organization.name
    assert details.organization.id == str(gencove.organization.id)


async def test_accept_invitation_as_the_invitee_with_their_own_key(
    gencove: FakeGencove, client: GencoveClient, leaks: Leaks
) -> None:
    invitee = gencove.add_user("invitee@lab.example.com", api_key="gc-user-invitee-key")
    invitation = await client.create_invitation("invitee@lab.example.com", "viewer")
    token = gencove.get_invitation(invitation.id).token
    leaks.secrets.add(token)

    details = await client.accept_invitation(token, Credentials.api_key("gc-user-invitee-key"))

    assert details.status == "accepted"
    assert details.role == "viewer"
    assert gencove.get_invitation(invitation.id).status == "accepted"
    assert invitee.member
    patch = gencove.requests[-1]
    assert (patch.method, patch.authorization) == ("PATCH", "Api-Key gc-user-invitee-key")

    again = await leaks.expect(
        GencoveValidationError,
        client.accept_invitation(token, Credentials.api_key("gc-user-invitee-key")),
    )
    assert again.message == "This invitation has already been accepted."


async def test_accept_invitation_by_someone_else_is_forbidden(
    gencove: FakeGencove, client: GencoveClient, leaks: Leaks
) -> None:
    gencove.add_user("other@lab.example.com", api_key="gc-user-other-key")
    fake_inv = gencove.add_invitation("invitee@lab.example.com")
    leaks.secrets.add(fake_inv.token)

    err = await leaks.expect(
        GencoveForbidden,
        client.accept_invitation(fake_inv.token, Credentials.api_key("gc-user-other-key")),
    )
    assert err.message == "This invitation was sent to another email address."
    assert fake_inv.status == "pending"


@pytest.mark.parametrize("as_secret", [False, True])
async def test_accept_invitation_with_the_org_key_is_refused_before_any_request(
    gencove: FakeGencove, client: GencoveClient, leaks: Leaks, as_secret: bool
) -> None:
    fake_inv = gencove.add_invitation("invitee@lab.example.com")
    key = SecretStr(gencove.org_api_key) if as_secret else gencove.org_api_key

    await leaks.expect(
        ValueError, client.accept_invitation(fake_inv.token, Credentials.api_key(key))
    )

    assert gencove.requests == []
    assert fake_inv.status == "pending"


async def test_list_roles_returns_the_organization_roles(
    gencove: FakeGencove, client: GencoveClient
) -> None:
    roles = await client.list_roles()

    assert {role.name for role in roles} == set(gencove.roles)
    admin = next(role for role in roles if role.name == "admin")
    assert "members.invite" in admin.permissions
    assert gencove.count("GET", ROLES + "organization") == 1


async def test_list_roles_follows_next_links(gencove: FakeGencove, client: GencoveClient) -> None:
    for i in range(120):
        gencove.roles[f"custom-{i:03d}"] = ["projects.view"]

    roles = await client.list_roles()

    assert len(roles) == 124
    assert gencove.count("GET", ROLES) == 2


async def test_current_user_defaults_to_the_organization_key(
    gencove: FakeGencove, client: GencoveClient
) -> None:
    user = await client.current_user()

    assert user.email == gencove.admin_user.email
    assert user.id == str(gencove.admin_user.id)
    assert gencove.requests[-1].authorization == f"Api-Key {gencove.org_api_key}"


async def test_current_user_with_a_users_api_key(
    gencove: FakeGencove, client: GencoveClient
) -> None:
    someone = gencove.add_user("someone@lab.example.com", name="Some One", api_key="gc-user-abc")

    user = await client.current_user(Credentials.api_key("gc-user-abc"))

    assert (user.id, user.email, user.name) == (str(someone.id), someone.email, "Some One")
    assert gencove.requests[-1].authorization == "Api-Key gc-user-abc"


async def test_current_user_with_a_jwt_sends_a_bearer_header(
    gencove: FakeGencove, client: GencoveClient, leaks: Leaks
) -> None:
    someone = gencove.add_user("jwt.user@lab.example.com")
    token = gencove.add_jwt(someone)
    leaks.secrets.add(token)

    user = await client.current_user(Credentials.jwt(token))

    assert user.email == "jwt.user@lab.example.com"
    assert gencove.requests[-1].authorization == f"Bearer {token}"


# =========================================================================== errors


async def test_invalid_email_is_a_validation_error_with_gencoves_field_message(
    gencove: FakeGencove, client: GencoveClient, leaks: Leaks
) -> None:
    err = await leaks.expect(GencoveValidationError, client.create_invitation("not-an-address"))

    assert err.fields["email"] == ["Enter a valid email address."]
    assert err.message == "Enter a valid email address."
    assert err.status == 400
    assert gencove.count("POST", INVITATIONS) == 1
    assert gencove.count("GET") == 0  # nothing ambiguous: no lookup


async def test_unknown_role_is_a_validation_error(client: GencoveClient, leaks: Leaks) -> None:
    err = await leaks.expect(
        GencoveValidationError, client.create_invitation("ok@lab.example.com", "boss")
    )
    assert err.fields == {"role": ['"boss" is not a valid choice.']}
    assert err.message == 'role: "boss" is not a valid choice.'


async def test_duplicate_pending_invitation_is_a_validation_error(
    gencove: FakeGencove, client: GencoveClient, leaks: Leaks
) -> None:
    gencove.refuse_duplicates = True  # as Gencove may (its spec does not say)
    await client.create_invitation("twice@lab.example.com")

    err = await leaks.expect(
        GencoveValidationError, client.create_invitation("twice@lab.example.com")
    )

    assert err.fields == {"email": ["An invitation for this email address is already pending."]}
    assert err.message == "An invitation for this email address is already pending."
    assert len(gencove.find("twice@lab.example.com")) == 1
    assert gencove.count("POST", INVITATIONS) == 2
    assert gencove.count("GET") == 0


async def test_wrong_api_key_is_unauthorized_with_gencoves_detail(
    gencove: FakeGencove, leaks: Leaks
) -> None:
    async with make_client(gencove, "gc-secret-wrong-key") as wrong:
        err = await leaks.expect(GencoveUnauthorized, wrong.current_user())
        assert err.message == "Invalid API key."
        assert err.status == 401
        assert gencove.count("GET", USER) == 1  # 401 is not retried

        unknown_jwt = "gc-secret-not-a-real-jwt"
        err = await leaks.expect(
            GencoveUnauthorized, wrong.current_user(Credentials.jwt(unknown_jwt))
        )
        assert err.message == "Given token not valid for any token type"


async def test_non_admin_key_listing_invitations_is_forbidden(
    gencove: FakeGencove, client: GencoveClient, leaks: Leaks
) -> None:
    gencove.add_user("member@lab.example.com", api_key="gc-user-member", member=True)

    err = await leaks.expect(
        GencoveForbidden,
        client.list_invitations_page(credentials=Credentials.api_key("gc-user-member")),
    )

    assert err.message == "You do not have permission to perform this action."
    assert err.status == 403
    assert gencove.count("GET", INVITATIONS) == 1


async def test_unknown_token_is_not_found(
    gencove: FakeGencove, client: GencoveClient, leaks: Leaks
) -> None:
    err = await leaks.expect(GencoveNotFound, client.get_invitation_by_token("no-such-token"))
    assert err.message == "Not found."
    assert err.status == 404
    assert gencove.count("GET", TOKENS) == 1


async def test_unknown_invitation_id_is_not_found_on_revoke(
    client: GencoveClient, leaks: Leaks
) -> None:
    err = await leaks.expect(
        GencoveNotFound, client.revoke_invitation("00000000-0000-4000-8000-000000000000")
    )
    assert err.message == "Not found."


async def test_429_until_retries_run_out_is_rate_limited_with_retry_after(
    gencove: FakeGencove,
    gencove_faults: GencoveFaults,
    client: GencoveClient,
    leaks: Leaks,
    waits: list[float],
) -> None:
    gencove_faults.inject("GET", USER, *[Fault.status(429, retry_after=2)] * 4)

    err = await leaks.expect(GencoveRateLimited, client.current_user())

    assert err.retry_after == 2.0
    assert err.message == "Request was throttled. Expected available in 2 seconds."
    assert gencove.count("GET", USER) == 4  # max_retries=3: four attempts
    assert waits == [2.0, 2.0, 2.0]


async def test_500_is_a_server_error_and_not_retried(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, leaks: Leaks
) -> None:
    gencove_faults.inject("GET", USER, Fault.status(500))

    err = await leaks.expect(GencoveServerError, client.current_user())

    assert err.status == 500
    assert err.message.endswith("It said: A server error occurred.")
    assert not err.retryable
    assert gencove.count("GET", USER) == 1


async def test_500_on_create_is_not_retried_either(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, leaks: Leaks
) -> None:
    gencove_faults.inject("POST", INVITATIONS, Fault.status(500, after_effect=True))
    await leaks.expect(GencoveServerError, client.create_invitation("x@lab.example.com"))
    assert gencove.count("POST", INVITATIONS) == 1
    assert gencove.count("GET") == 0


async def test_503_is_retried_until_it_succeeds(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient
) -> None:
    gencove_faults.inject("GET", USER, Fault.status(503), Fault.status(503))

    user = await client.current_user()

    assert user.email == gencove.admin_user.email
    assert gencove.count("GET", USER) == 3
    assert client.requests_sent == 3


async def test_503_every_time_is_a_server_error_after_all_attempts(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, leaks: Leaks
) -> None:
    gencove_faults.inject("GET", USER, *[Fault.status(503)] * 4)

    err = await leaks.expect(GencoveServerError, client.current_user())

    assert err.status == 503
    assert err.retryable
    assert err.message.endswith("It said: Service temporarily unavailable, try again later.")
    assert gencove.count("GET", USER) == 4


async def test_html_error_page_gets_a_generic_message(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, leaks: Leaks
) -> None:
    gencove_faults.inject("GET", USER, Fault.status(502, body="<html><h1>Bad Gateway</h1></html>"))
    gencove_faults.inject("GET", USER, *[Fault.status(502, body="<html>nope</html>")] * 3)

    err = await leaks.expect(GencoveServerError, client.current_user())

    assert err.message == "Gencove had a problem (HTTP 502). Try again shortly."
    assert gencove.count("GET", USER) == 4


async def test_get_hanging_past_the_timeout_is_a_timeout_after_every_retry(
    gencove: FakeGencove, gencove_faults: GencoveFaults, leaks: Leaks
) -> None:
    gencove_faults.inject("GET", USER, *[Fault.hang(0.6)] * 3)
    async with make_client(gencove, timeout=0.2, max_retries=2) as client:
        err = await leaks.expect(GencoveTimeout, client.current_user())

        assert err.message == "Gencove did not answer in time. Try again in a moment."
        assert err.retryable
        assert gencove.count("GET", USER) == 3
        assert client.requests_sent == 3


async def test_get_hanging_once_is_retried_and_succeeds(
    gencove: FakeGencove, gencove_faults: GencoveFaults
) -> None:
    gencove_faults.inject("GET", USER, Fault.hang(0.6))
    async with make_client(gencove, timeout=0.2) as client:
        user = await client.current_user()
    assert user.email == gencove.admin_user.email
    assert gencove.count("GET", USER) == 2


async def test_closed_port_is_a_connection_error_before_sending(leaks: Leaks) -> None:
    async with make_client(closed_port_url(), "gc-secret-closed-port") as client:
        err = await leaks.expect(GencoveConnectionError, client.current_user())

        assert err.before_sending is True
        assert err.retryable
        assert err.message == "The bot could not reach Gencove. Try again in a moment."
        assert client.requests_sent == 4


async def test_reset_connection_is_a_connection_error_after_sending(
    gencove: FakeGencove, gencove_faults: GencoveFaults, leaks: Leaks
) -> None:
    # aiohttp's own silent re-send of an idempotent request is off: every try is the
    # client's, so with no retries there is exactly one request.
    gencove_faults.inject("GET", USER, Fault.reset())
    async with make_client(gencove, max_retries=0) as client:
        err = await leaks.expect(GencoveConnectionError, client.current_user())

    assert err.before_sending is False
    assert err.message == "The connection to Gencove failed. Try again in a moment."
    assert gencove.count("GET", USER) == 1


async def test_reset_connection_on_get_is_retried(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient
) -> None:
    gencove_faults.inject("GET", USER, Fault.reset(), Fault.reset())

    user = await client.current_user()

    assert user.email == gencove.admin_user.email
    assert client.requests_sent == 3  # each reset cost one of the client's own tries
    assert gencove.count("GET", USER) == 3


async def test_unreadable_success_is_a_protocol_error(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, leaks: Leaks
) -> None:
    gencove_faults.inject("GET", USER, Fault.status(200, body="<html>surprise</html>"))
    err = await leaks.expect(GencoveProtocolError, client.current_user())
    assert err.message == "Gencove sent an answer the bot could not read."

    gencove_faults.inject("GET", USER, Fault.status(200, body={"id": 1}))
    err = await leaks.expect(GencoveProtocolError, client.current_user())
    assert err.message == "Gencove sent an answer the bot could not understand."
    assert gencove.count("GET", USER) == 2


@pytest.mark.parametrize(
    "payload",
    [
        ["not", "a", "page"],
        {"meta": "broken", "results": []},
        {"meta": {"count": 1, "next": None}, "results": [{"id": "x"}]},
    ],
)
async def test_malformed_invitation_page_is_a_protocol_error(
    gencove: FakeGencove,
    gencove_faults: GencoveFaults,
    client: GencoveClient,
    leaks: Leaks,
    payload: Any,
) -> None:
    gencove_faults.inject("GET", INVITATIONS, Fault.status(200, body=payload))
    await leaks.expect(GencoveProtocolError, client.list_invitations_page())


@pytest.mark.parametrize("payload", [["x"], {"results": "x"}, {"meta": ["x"], "results": []}])
async def test_malformed_role_list_is_a_protocol_error(
    gencove: FakeGencove,
    gencove_faults: GencoveFaults,
    client: GencoveClient,
    leaks: Leaks,
    payload: Any,
) -> None:
    gencove_faults.inject("GET", ROLES, Fault.status(200, body=payload))
    await leaks.expect(GencoveProtocolError, client.list_roles())


# =========================================================================== retry waits


async def test_retry_after_is_honoured_on_get(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, waits: list[float]
) -> None:
    gencove_faults.inject("GET", USER, Fault.status(429, retry_after=1))

    await client.current_user()

    assert waits == [1.0]
    assert gencove.count("GET", USER) == 2


async def test_retry_after_is_honoured_on_create(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, waits: list[float]
) -> None:
    gencove_faults.inject("POST", INVITATIONS, Fault.status(429, retry_after=1))

    await client.create_invitation("throttled@lab.example.com")

    assert waits == [1.0]


async def test_retry_after_is_capped(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, waits: list[float]
) -> None:
    gencove_faults.inject("GET", USER, Fault.status(429, retry_after=3600))
    await client.current_user()
    assert waits == [MAX_RETRY_AFTER]


async def test_backoff_without_retry_after_grows_exponentially_with_jitter(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, waits: list[float]
) -> None:
    gencove_faults.inject("GET", USER, Fault.status(503), Fault.status(502), Fault.status(504))

    await client.current_user()

    assert len(waits) == 3
    for attempt, wait in enumerate(waits, start=1):
        ceiling = min(0.05, 0.01 * 2 ** (attempt - 1))  # backoff_base=0.01, backoff_max=0.05
        assert ceiling / 2 <= wait <= ceiling


async def test_backoff_is_bounded_by_backoff_max(
    gencove: FakeGencove, gencove_faults: GencoveFaults, waits: list[float]
) -> None:
    gencove_faults.inject("GET", USER, *[Fault.status(503)] * 6)
    async with make_client(gencove, max_retries=6) as client:
        await client.current_user()
    assert len(waits) == 6
    assert all(0.025 <= w <= 0.05 for w in waits[3:])


# =========================================================================== create: no duplicates


async def test_create_that_times_out_after_taking_effect_returns_that_invitation(
    gencove: FakeGencove, gencove_faults: GencoveFaults, caplog: pytest.LogCaptureFixture
) -> None:
    gencove_faults.inject("POST", INVITATIONS, Fault.hang(1.0, after_effect=True))
    async with make_client(gencove, timeout=0.3) as client:
        invitation = await client.create_invitation("slow@lab.example.com", "viewer")

    created = gencove.find("slow@lab.example.com")
    assert len(created) == 1
    assert invitation.id == str(created[0].id)
    assert invitation.role == "viewer"
    assert invitation.is_pending
    assert gencove.count("POST", INVITATIONS) == 1  # no second POST
    assert gencove.count("GET", INVITATIONS) == 1  # the lookup
    assert any("recovered" in r.getMessage() for r in caplog.records)


async def test_create_whose_connection_resets_after_taking_effect_returns_that_invitation(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient
) -> None:
    gencove_faults.inject("POST", INVITATIONS, Fault.reset(after_effect=True))

    invitation = await client.create_invitation("reset@lab.example.com")

    created = gencove.find("reset@lab.example.com")
    assert len(created) == 1
    assert invitation.id == str(created[0].id)
    assert gencove.count("POST", INVITATIONS) == 1


async def test_create_answered_503_after_taking_effect_is_not_sent_again(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient
) -> None:
    gencove_faults.inject("POST", INVITATIONS, Fault.status(503, after_effect=True))

    invitation = await client.create_invitation("ambiguous@lab.example.com")

    assert [str(inv.id) for inv in gencove.find("ambiguous@lab.example.com")] == [invitation.id]
    assert gencove.count("POST", INVITATIONS) == 1


async def test_create_throttled_with_429_is_retried_as_a_post(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient
) -> None:
    gencove_faults.inject("POST", INVITATIONS, Fault.status(429, retry_after=0))

    invitation = await client.create_invitation("throttled@lab.example.com")

    assert [str(inv.id) for inv in gencove.find("throttled@lab.example.com")] == [invitation.id]
    assert gencove.count("POST", INVITATIONS) == 2
    assert gencove.count("GET") == 0  # never reached Gencove: no lookup needed


async def test_create_503_before_taking_effect_looks_up_then_posts_again(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient
) -> None:
    gencove_faults.inject("POST", INVITATIONS, Fault.status(503))

    invitation = await client.create_invitation("retry@lab.example.com")

    assert [str(inv.id) for inv in gencove.find("retry@lab.example.com")] == [invitation.id]
    assert gencove.count("POST", INVITATIONS) == 2
    assert gencove.count("GET", INVITATIONS) == 1
    assert [r.method for r in gencove.requests] == ["POST", "GET", "POST"]


async def test_create_already_pending_after_an_ambiguous_failure_returns_the_existing_one(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient
) -> None:
    # The first POST fails ambiguously and the lookup does not (yet) show the invitation;
    # the second POST is refused as "already pending": that invitation is the answer.
    gencove.refuse_duplicates = True
    existing = gencove.add_invitation("race@lab.example.com")
    empty_page = {"meta": {"count": 0, "next": None, "previous": None}, "results": []}
    gencove_faults.inject("POST", INVITATIONS, Fault.status(503))
    gencove_faults.inject("GET", INVITATIONS, Fault.status(200, body=empty_page))

    invitation = await client.create_invitation("race@lab.example.com")

    assert invitation.id == str(existing.id)
    assert len(gencove.find("race@lab.example.com")) == 1
    assert [r.method for r in gencove.requests] == ["POST", "GET", "POST", "GET"]


async def test_create_to_a_closed_port_is_retried_as_a_post_without_lookups(
    leaks: Leaks,
) -> None:
    async with make_client(closed_port_url(), "gc-secret-closed") as client:
        err = await leaks.expect(
            GencoveConnectionError, client.create_invitation("x@lab.example.com")
        )
        assert err.before_sending
        assert client.requests_sent == 4  # four POST attempts, no GET lookups in between


async def test_create_timing_out_on_every_attempt_is_a_timeout_after_one_lookup(
    gencove: FakeGencove, gencove_faults: GencoveFaults, leaks: Leaks
) -> None:
    gencove_faults.inject("POST", INVITATIONS, *[Fault.hang(0.6)] * 2)
    async with make_client(gencove, timeout=0.2, max_retries=1) as client:
        await leaks.expect(GencoveTimeout, client.create_invitation("stuck@lab.example.com"))
    assert gencove.count("POST", INVITATIONS) == 2
    assert gencove.count("GET", INVITATIONS) == 1
    assert len(gencove.find("stuck@lab.example.com")) <= 1


# =========================================================================== concurrency


async def test_at_most_max_concurrency_requests_are_in_flight(gencove: FakeGencove) -> None:
    gencove.hold = asyncio.Event()
    async with make_client(gencove, max_concurrency=2) as client:
        calls = [asyncio.create_task(client.current_user()) for _ in range(6)]
        try:
            await eventually(lambda: gencove.count("GET", USER) == 2)
            await asyncio.sleep(0.15)
            assert gencove.count("GET", USER) == 2  # the other four wait for a slot
            assert not any(call.done() for call in calls)
        finally:
            gencove.hold.set()
        users = await asyncio.gather(*calls)
    assert {u.email for u in users} == {gencove.admin_user.email}
    assert gencove.count("GET", USER) == 6


async def test_concurrent_calls_with_latency_take_batches_of_max_concurrency(
    gencove: FakeGencove,
) -> None:
    gencove.latency = 0.2
    async with make_client(gencove, max_concurrency=2) as client:
        started = time.monotonic()
        await asyncio.gather(*(client.current_user() for _ in range(6)))
        elapsed = time.monotonic() - started
    assert elapsed >= 0.55  # three rounds of two, not one round of six
    assert gencove.count("GET", USER) == 6


# =========================================================================== next links


async def test_next_link_to_another_host_is_refused(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, leaks: Leaks
) -> None:
    fake_inv = gencove.add_invitation("one@lab.example.com")
    evil_page = {
        "meta": {
            "count": 2,
            "next": "http://evil.example.com/api/v2/invitations/?limit=1&offset=1&status=pending",
            "previous": None,
        },
        "results": [gencove.invitation_json(fake_inv)],
    }
    gencove_faults.inject("GET", INVITATIONS, Fault.status(200, body=evil_page))

    seen: list[str] = []
    err = await leaks.expect(
        GencoveProtocolError, _collect(client.iter_invitations("pending", 1), seen)
    )

    assert err.message == "Gencove sent a page link to another host."
    assert seen == [str(fake_inv.id)]
    assert gencove.count("GET") == 1


async def test_roles_next_link_to_another_host_is_refused(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient, leaks: Leaks
) -> None:
    evil = {
        "meta": {"count": 9, "next": "https://evil.example.com/api/v2/roles/organization?offset=1"},
        "results": [{"name": "admin", "permissions": []}],
    }
    gencove_faults.inject("GET", ROLES, Fault.status(200, body=evil))
    await leaks.expect(GencoveProtocolError, client.list_roles())
    assert gencove.count("GET") == 1


async def _collect(invitations: AsyncIterator[Invitation], seen: list[str]) -> None:
    async for invitation in invitations:
        seen.append(invitation.id)


def test_same_origin_splits_links_to_our_host_and_refuses_others() -> None:
    client = GencoveClient("https://API.gencove.com/", "gc-secret-unused")
    path, params = client._same_origin(
        "https://api.gencove.com/api/v2/invitations/?limit=100&offset=200&status=pending&q=a+b%40c"
    )
    assert path == "/api/v2/invitations/"
    assert params == {"limit": "100", "offset": "200", "status": "pending", "q": "a b@c"}
    assert client._same_origin("/api/v2/invitations/?offset=1") == (
        "/api/v2/invitations/",
        {"offset": "1"},
    )
    for elsewhere in (
        "https://evil.example.com/api/v2/invitations/?offset=100",
        "http://api.gencove.com/api/v2/invitations/?offset=100",  # downgrade to http
        "https://api.gencove.com:8443/api/v2/invitations/",
        "https://api.gencove.com.evil.example.com/api/v2/invitations/",
    ):
        with pytest.raises(GencoveProtocolError):
            client._same_origin(elsewhere)


# =========================================================================== secrets


def test_credentials_repr_hides_the_secret() -> None:
    for creds in (Credentials.api_key("k-very-secret"), Credentials.jwt("j-very-secret")):
        assert "very-secret" not in repr(creds)
        assert "very-secret" not in str(creds)
    assert Credentials.api_key("k").header() == "Api-Key k"
    assert Credentials.jwt("t").header() == "Bearer t"
    assert Credentials.api_key("k") == Credentials.api_key(SecretStr("k"))
    assert Credentials.api_key("k") != Credentials.jwt("k")


async def test_no_error_or_log_record_contains_the_api_key(
    gencove: FakeGencove,
    gencove_faults: GencoveFaults,
    client: GencoveClient,
    leaks: Leaks,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A tour of every failure with the DEBUG log on; the `leaks` fixture checks them all."""
    leaks.secrets.add(gencove.org_api_key)
    gencove.add_user("member@lab.example.com", api_key="gc-user-member", member=True)
    gencove_faults.inject("GET", USER, Fault.status(500))
    gencove_faults.inject("GET", USER, *[Fault.status(429, retry_after=0)] * 4)
    gencove_faults.inject("GET", USER, *[Fault.status(503)] * 4)
    gencove_faults.inject("GET", USER, *[Fault.reset()] * 4)  # every one of the client's 4 tries
    gencove_faults.inject("GET", USER, Fault.status(200, body="junk"))

    await leaks.expect(GencoveValidationError, client.create_invitation("bad address"))
    await leaks.expect(
        GencoveForbidden,
        client.list_invitations_page(credentials=Credentials.api_key("gc-user-member")),
    )
    await leaks.expect(GencoveNotFound, client.get_invitation_by_token("nope"))
    await leaks.expect(GencoveServerError, client.current_user())
    await leaks.expect(GencoveRateLimited, client.current_user())
    await leaks.expect(GencoveServerError, client.current_user())
    await leaks.expect(GencoveConnectionError, client.current_user())
    await leaks.expect(GencoveProtocolError, client.current_user())
    await leaks.expect(
        ValueError, client.accept_invitation("t", Credentials.api_key(gencove.org_api_key))
    )
    async with make_client(gencove, "gc-secret-wrong") as wrong:
        await leaks.expect(GencoveUnauthorized, wrong.current_user())
    gencove_faults.inject("GET", USER, Fault.hang(0.5))
    async with make_client(gencove, timeout=0.1, max_retries=0) as hasty:
        await leaks.expect(GencoveTimeout, hasty.current_user())
    async with make_client(closed_port_url(), gencove.org_api_key, max_retries=0) as nowhere:
        await leaks.expect(GencoveConnectionError, nowhere.current_user())

    assert len(leaks.errors) == 12
    client_records = [r for r in caplog.records if r.name == "invite_bot.gencove.client"]
    assert any(r.levelno == logging.DEBUG for r in client_records)
    assert any(r.levelno == logging.WARNING for r in client_records)
    for exc in leaks.errors:
        assert gencove.org_api_key not in str(exc)
        assert gencove.org_api_key not in repr(exc)
        assert gencove.org_api_key not in getattr(exc, "message", "")
    assert gencove.org_api_key not in caplog.text
