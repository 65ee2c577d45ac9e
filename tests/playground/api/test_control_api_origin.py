"""The playground's control API answers only its own page on this computer, over plain
HTTP: a cross-site `text/plain` or form POST, another site's `Origin`, and a `Host` that
is not loopback (DNS rebinding) are refused, and nothing they asked for is done."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

from invite_bot.playground.run import Options, playground


@dataclass
class Served:
    session: aiohttp.ClientSession
    address: str  # http://127.0.0.1:PORT/

    @property
    def port(self) -> int:
        return int(urlsplit(self.address).port or 0)

    def url(self, path: str) -> str:
        return self.address.rstrip("/") + path

    async def invitations(self) -> list[str]:
        async with self.session.get(self.url("/playground/api/gencove/invitations")) as got:
            assert got.status == 200
            return [row["email"] for row in (await got.json())["invitations"]]


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    database = f"sqlite+aiosqlite:///{tmp_path / 'playground.sqlite3'}"
    async with (
        playground(Options(port=0, db=database)) as address,
        aiohttp.ClientSession() as session,
    ):
        yield Served(session, address)


INVITE = "/playground/api/gencove/invitations"
BODY = json.dumps({"email": "csrf@lab.org", "role": "member"})


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
async def test_a_post_that_is_not_json_is_refused_and_does_nothing(
    served: Served, content_type: str
) -> None:
    # What a cross-site page can send without the browser asking first.
    headers = {"Content-Type": content_type}
    async with served.session.post(served.url(INVITE), data=BODY, headers=headers) as answer:
        assert answer.status == 415
        assert "application/json" in (await answer.json())["error"]
    assert "csrf@lab.org" not in await served.invitations()


async def test_another_sites_origin_is_refused_and_does_nothing(served: Served) -> None:
    for origin in ("http://evil.example", "null", f"http://localhost:{served.port + 1}"):
        headers = {"Content-Type": "application/json", "Origin": origin}
        async with served.session.post(served.url(INVITE), data=BODY, headers=headers) as answer:
            assert answer.status == 403, origin
        async with served.session.get(
            served.url("/playground/api/state"), headers={"Origin": origin}
        ) as answer:
            assert answer.status == 403, origin
    assert "csrf@lab.org" not in await served.invitations()


async def test_a_host_that_is_not_loopback_is_refused_and_shows_no_key(served: Served) -> None:
    # DNS rebinding: the attacker's name, resolved to 127.0.0.1, is the Host.
    for host in (
        f"evil.example:{served.port}",
        "evil.example",
        f"127.0.0.1.evil.example:{served.port}",
    ):
        for path in ("/playground/api/state", "/", INVITE):
            async with served.session.get(served.url(path), headers={"Host": host}) as answer:
                assert answer.status == 403, (host, path)
                assert "gc-user-" not in await answer.text()


async def test_the_pages_own_requests_are_answered_on_every_loopback_name(served: Served) -> None:
    for number, name in enumerate(("127.0.0.1", "localhost", "[::1]")):
        host = f"{name}:{served.port}"
        headers = {"Host": host, "Origin": f"http://{host}", "Content-Type": "application/json"}
        body = json.dumps({"email": f"own{number}@lab.org"})
        async with served.session.post(served.url(INVITE), data=body, headers=headers) as answer:
            assert answer.status == 200, await answer.text()
        async with served.session.get(
            served.url("/playground/api/state"), headers={"Host": host}
        ) as answer:
            assert answer.status == 200
    # A script's request (no Origin at all) is the page's too.
    async with served.session.post(served.url(INVITE), json={"email": "script@lab.org"}) as answer:
        assert answer.status == 200
    shown = await served.invitations()
    assert {
        "own0@lab.org",
        "own1@lab.org",
        "own2@lab.org",
        "script@lab.org",
    } <= set(shown)
