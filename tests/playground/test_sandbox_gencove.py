"""Tests of the fake Gencove server itself, over real loopback HTTP."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from invite_bot.playground.gencove import FakeGencove
from tests.faults import Fault, GencoveFaults

REPO_ROOT = Path(__file__).resolve().parents[2]
INVITATIONS = "/api/v2/invitations/"


@pytest.fixture
async def fake() -> AsyncIterator[FakeGencove]:
    async with FakeGencove() as server:
        yield server
        assert server.violations == []


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Api-Key {key}"}


async def call(
    session: aiohttp.ClientSession,
    fake: FakeGencove,
    method: str,
    path: str,
    *,
    key: str | None = None,
    **kwargs: Any,
) -> tuple[int, Any]:
    headers = auth(key or fake.org_api_key)
    async with session.request(method, fake.url + path, headers=headers, **kwargs) as resp:
        body = await resp.read()
        return resp.status, (json.loads(body) if body else None)


async def test_validation_records_client_mistakes(
    fake: FakeGencove, session: aiohttp.ClientSession
) -> None:
    async with session.get(fake.url + INVITATIONS) as resp:
        assert resp.status == 401
        assert await resp.json() == {"detail": "Authentication credentials were not provided."}
    assert len(fake.violations) == 1
    assert fake.violations[0].startswith("GET /api/v2/invitations/: SecurityValidationError")

    status, body = await call(session, fake, "GET", INVITATIONS, params={"status": "bogus"})
    assert status == 400
    assert "status" in body
    assert "GET /api/v2/invitations/?status=bogus" in fake.violations[1]
    assert "'bogus' is not one of" in fake.violations[1]

    status, _ = await call(session, fake, "DELETE", INVITATIONS + "not-a-uuid")
    assert status == 404
    status, body = await call(session, fake, "GET", "/api/v2/nope")
    assert (status, body) == (404, {"detail": "Not found."})
    assert len(fake.violations) == 4
    fake.violations.clear()

    # A malformed email is the server's business (DRF 400), not a client violation.
    status, body = await call(session, fake, "POST", INVITATIONS, json={"email": "nope"})
    assert (status, body) == (400, {"email": ["Enter a valid email address."]})
    assert fake.violations == []


async def test_a_second_pending_invitation_is_made_unless_told_to_refuse_it(
    fake: FakeGencove, session: aiohttp.ClientSession
) -> None:
    """Gencove's spec promises no refusal, so the sandbox does not rely on one either."""
    status, first = await call(session, fake, "POST", INVITATIONS, json={"email": "d@x.org"})
    assert status == 201
    status, second = await call(session, fake, "POST", INVITATIONS, json={"email": "D@x.org"})
    assert status == 201
    assert second["id"] != first["id"]
    assert len(fake.find("d@x.org", "pending")) == 2


async def test_create_list_revoke_accept_cycle(
    fake: FakeGencove, session: aiohttp.ClientSession
) -> None:
    status, created = await call(session, fake, "POST", INVITATIONS, json={"email": "a@x.org"})
    assert status == 201
    assert created["role"] == "member"
    assert created["last_status"]["status"] == "pending"
    assert "token" not in created
    fake.refuse_duplicates = True  # off by default: Gencove's spec does not promise it
    status, body = await call(session, fake, "POST", INVITATIONS, json={"email": "A@X.org"})
    assert (status, body) == (
        400,
        {"email": ["An invitation for this email address is already pending."]},
    )
    fake.refuse_duplicates = False
    status, body = await call(
        session, fake, "POST", INVITATIONS, json={"email": "b@x.org", "role": "boss"}
    )
    assert (status, body) == (400, {"role": ['"boss" is not a valid choice.']})

    status, page = await call(session, fake, "GET", INVITATIONS, params={"status": "pending"})
    assert status == 200
    assert [r["id"] for r in page["results"]] == [created["id"]]

    assert (await call(session, fake, "DELETE", INVITATIONS + created["id"]))[0] == 204
    status, body = await call(session, fake, "DELETE", INVITATIONS + created["id"])
    assert (status, body) == (400, {"detail": "Only pending invitations can be revoked."})
    assert fake.find("a@x.org")[0].status == "revoked"

    status, _ = await call(
        session, fake, "POST", INVITATIONS, json={"email": "a@x.org", "role": "viewer"}
    )
    assert status == 201
    token = fake.find("a@x.org", "pending")[0].token
    invitee = fake.add_user("a@x.org", name="Ann")
    other = fake.add_user("c@x.org")
    status, body = await call(
        session, fake, "PATCH", f"/api/v2/invitations-token/{token}", key=other.api_key, json={}
    )
    assert (status, body) == (403, {"detail": "This invitation was sent to another email address."})
    status, body = await call(session, fake, "GET", INVITATIONS, key=invitee.api_key)
    assert status == 403
    status, details = await call(
        session, fake, "PATCH", f"/api/v2/invitations-token/{token}", key=invitee.api_key, json={}
    )
    assert status == 200
    assert details["last_status"]["status"] == "accepted"
    assert details["last_status"]["actor"]["id"] == str(invitee.id)
    assert invitee.member
    assert invitee.role == "viewer"
    status, body = await call(
        session, fake, "PATCH", f"/api/v2/invitations-token/{token}", key=invitee.api_key
    )
    assert (status, body) == (400, {"detail": "This invitation has already been accepted."})
    status, body = await call(session, fake, "POST", INVITATIONS, json={"email": "a@x.org"})
    assert (status, body) == (
        400,
        {"email": ["This user is already a member of the organization."]},
    )

    jwt = fake.add_jwt(invitee)
    async with session.get(
        fake.url + "/api/v2/user/", headers={"Authorization": f"Bearer {jwt}"}
    ) as resp:
        assert resp.status == 200
        assert (await resp.json())["email"] == "a@x.org"
    status, roles = await call(session, fake, "GET", "/api/v2/roles/organization")
    assert status == 200
    assert {r["name"] for r in roles["results"]} >= {"admin", "member"}
    status, body = await call(session, fake, "GET", INVITATIONS, key="wrong")
    assert (status, body) == (401, {"detail": "Invalid API key."})
    assert fake.requests[-1].authorization == "Api-Key wrong"
    assert fake.count("POST", INVITATIONS) == 5


async def test_pagination_walks_three_pages_with_absolute_links(
    fake: FakeGencove, session: aiohttp.ClientSession
) -> None:
    fake.seed(260, pending=250)
    url: str | None = f"{fake.url}{INVITATIONS}?status=pending&limit=100"
    pages: list[dict[str, Any]] = []
    while url is not None:
        async with session.get(url, headers=auth(fake.org_api_key)) as resp:
            assert resp.status == 200
            pages.append(await resp.json())
        url = pages[-1]["meta"]["next"]
    assert [len(p["results"]) for p in pages] == [100, 100, 50]
    base = f"{fake.url}{INVITATIONS}"
    assert pages[0]["meta"] == {
        "count": 250,
        "next": f"{base}?limit=100&offset=100&status=pending",
        "previous": None,
    }
    assert pages[1]["meta"]["previous"] == f"{base}?limit=100&status=pending"
    assert pages[2]["meta"]["previous"] == f"{base}?limit=100&offset=100&status=pending"
    created = [r["last_status"]["created"] for p in pages for r in p["results"]]
    assert created == sorted(created, reverse=True)  # newest first
    assert len({r["id"] for p in pages for r in p["results"]}) == 250
    status, body = await call(session, fake, "GET", INVITATIONS, params={"limit": "1000"})
    assert status == 200
    assert len(body["results"]) == 100
    assert body["meta"]["count"] == 260
    _status, body = await call(session, fake, "GET", INVITATIONS)
    assert len(body["results"]) == 25


async def test_throttle_fault_carries_retry_after(
    fake: FakeGencove, session: aiohttp.ClientSession
) -> None:
    faults = GencoveFaults(fake)
    faults.inject("GET", INVITATIONS, Fault.status(429, retry_after=7), Fault.status(503))
    async with session.get(fake.url + INVITATIONS, headers=auth(fake.org_api_key)) as resp:
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "7"
        assert await resp.json() == {
            "detail": "Request was throttled. Expected available in 7 seconds."
        }
    assert (await call(session, fake, "GET", INVITATIONS))[0] == 503
    assert (await call(session, fake, "GET", INVITATIONS))[0] == 200
    assert fake.count("GET", INVITATIONS) == 3


async def test_reset_fault_is_a_connection_error(
    fake: FakeGencove, session: aiohttp.ClientSession
) -> None:
    faults = GencoveFaults(fake)
    faults.inject("POST", INVITATIONS, Fault.reset())
    with pytest.raises(aiohttp.ClientConnectionError):
        await call(session, fake, "POST", INVITATIONS, json={"email": "r@x.org"})
    assert fake.find("r@x.org") == []  # failed before taking effect
    assert fake.count("POST", INVITATIONS) == 1  # and the client did not silently retry


async def test_after_effect_hang_creates_the_invitation(
    fake: FakeGencove, session: aiohttp.ClientSession
) -> None:
    faults = GencoveFaults(fake)
    faults.inject("POST", INVITATIONS, Fault.hang(5, after_effect=True))
    with pytest.raises(asyncio.TimeoutError):
        await call(
            session,
            fake,
            "POST",
            INVITATIONS,
            json={"email": "h@x.org"},
            timeout=aiohttp.ClientTimeout(total=0.3),
        )
    assert [inv.status for inv in fake.find("h@x.org")] == ["pending"]


async def test_hold_and_lazy_expiry(fake: FakeGencove, session: aiohttp.ClientSession) -> None:
    inv = fake.add_invitation("e@x.org")
    fake.hold = asyncio.Event()
    task = asyncio.create_task(call(session, fake, "GET", INVITATIONS))
    await asyncio.sleep(0.1)
    assert not task.done()
    assert fake.count("GET", INVITATIONS) == 1
    later = inv.expires + timedelta(seconds=1)
    fake.now = lambda: later
    fake.hold.set()
    status, body = await task
    assert status == 200
    assert body["results"][0]["last_status"]["status"] == "expired"
    assert inv.last_status.created == inv.expires
    status, body = await call(session, fake, "GET", f"/api/v2/invitations-token/{inv.token}")
    assert body["last_status"]["status"] == "expired"


async def test_standalone_process() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "invite_bot.playground.gencove",
        "--port",
        "0",
        "--org-key",
        "gc-org-standalone",
        "--seed-invitations",
        "30",
        "--seed-pending",
        "10",
        "--interceptor",
        "tests.faults:GencoveFaults",
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        assert line.startswith("READY http://127.0.0.1:")
        url = line.removeprefix("READY ")
        async with aiohttp.ClientSession() as client:
            async with client.post(
                url + "/_fake/inject",
                json={"method": "GET", "path_prefix": INVITATIONS, "faults": [{"code": 502}]},
            ) as resp:
                assert resp.status == 200
            headers = auth("gc-org-standalone")
            async with client.get(url + INVITATIONS, headers=headers) as resp:
                assert resp.status == 502
            async with client.get(url + INVITATIONS + "?status=pending", headers=headers) as resp:
                assert (await resp.json())["meta"]["count"] == 10
            async with client.get(url + "/_fake/state") as resp:
                state = await resp.json()
        assert state["violations"] == []
        assert len(state["invitations"]) == 30
        assert state["request_counts"] == {"GET /api/v2/invitations/": 2}
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
