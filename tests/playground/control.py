"""The playground's control API, as a script (and these tests) use it: `Page` and `button`.
The `page` fixture of the tests in tests/playground/api/ (their conftest.py) makes a Page on a
playground of its own."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import aiohttp


class Page:
    """The control API, as a script would use it."""

    def __init__(self, session: aiohttp.ClientSession, address: str) -> None:
        self.session = session
        self.api = address.rstrip("/") + "/playground/api"

    async def get(self, path: str, **query: str) -> Any:
        async with self.session.get(self.api + path, params=query) as response:
            return await response.json()

    async def post(self, path: str, body: dict[str, Any], status: int = 200) -> Any:
        async with self.session.post(self.api + path, json=body) as response:
            assert response.status == status, await response.text()
            return await response.json()

    async def command(self, text: str, user: str = "admin", channel: str = "general") -> Any:
        return await self.post("/command", {"user": user, "channel": channel, "text": text})

    async def messages(self, channel: str = "general", user: str = "admin") -> list[Any]:
        return list((await self.get("/messages", channel=channel, user=user))["messages"])

    async def until(self, find: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = await find()
            if found:
                return found
            await asyncio.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}")

    async def message_with(
        self, text: str, channel: str = "general", user: str = "admin", kind: str | None = None
    ) -> dict[str, Any]:
        async def find() -> dict[str, Any] | None:
            for message in reversed(await self.messages(channel, user)):
                shown = json.dumps(message["blocks"]) + (message["text"] or "")
                if text in shown and (kind is None or message["kind"] == kind):
                    return dict(message)
            return None

        found: dict[str, Any] = await self.until(find, f"a message with {text!r} in {channel}")
        return found

    async def invite_from_csv(self, name: str, text: str, user: str = "admin") -> dict[str, Any]:
        """Open the invite modal with `/gencove invite`, choose a CSV file (`name`, `text`)
        in it and submit; returns the modal as it was opened."""
        await self.command("invite", user=user)

        async def opened() -> Any:
            found = await self.get("/view", user=user)
            return found if found["view"] else None

        view: dict[str, Any] = (await self.until(opened, "the invite modal"))["view"]
        values = {
            "addresses": {"addresses_input": ""},
            "csv_file": {"csv_file_input": [{"name": name, "text": text}]},
        }
        answer = await self.post("/submit", {"user": user, "values": values})
        assert answer["ok"]
        return view

    async def invitation(self, email: str) -> dict[str, Any]:
        rows = (await self.get("/gencove/invitations"))["invitations"]
        [row] = [r for r in rows if r["email"] == email]
        return dict(row)


def button(message: dict[str, Any], action_id: str, value_has: str = "") -> dict[str, Any]:
    for found in message["buttons"]:
        if found["action_id"] == action_id and value_has in (found["value"] or ""):
            return dict(found)
    raise AssertionError(f"no {action_id} button in {message['text']!r}")
