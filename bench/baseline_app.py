"""Baseline for the ack benchmark: the common tutorial pattern, Gencove BEFORE ``ack()``.

``/gencove invite ana@lab.org`` awaits ``POST /api/v2/invitations/`` (one aiohttp
session, the same stand-in the bot talks to), then acknowledges with the outcome, then
posts the result in the channel with ``chat.postMessage``. Anything else is acknowledged
with a usage line.

``PORT=… SLACK_SIGNING_SECRET=… SLACK_BOT_TOKEN=xoxb-… SLACK_API_URL=… GENCOVE_API_URL=…
GENCOVE_API_KEY=… python -m bench.baseline_app``
"""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

from bench._serve import env, fixed_authorize, serve


def build() -> AsyncApp:
    bot_token = env("SLACK_BOT_TOKEN")
    gencove_url = env("GENCOVE_API_URL").rstrip("/") + "/api/v2/invitations/"
    gencove_headers = {"Authorization": f"Api-Key {env('GENCOVE_API_KEY')}"}
    result = fixed_authorize(bot_token)
    sessions: list[aiohttp.ClientSession] = []

    def session() -> aiohttp.ClientSession:
        if not sessions:
            sessions.append(aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)))
        return sessions[0]

    async def authorize() -> AuthorizeResult:
        return result

    app = AsyncApp(
        client=AsyncWebClient(token=bot_token, base_url=env("SLACK_API_URL")),
        signing_secret=env("SLACK_SIGNING_SECRET"),
        authorize=authorize,
    )

    @app.command("/gencove")
    async def gencove(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        words = str(command.get("text") or "").split()
        if len(words) != 2 or words[0] != "invite":
            await ack(response_type="ephemeral", text="usage: /gencove invite ana@lab.org")
            return
        email = words[1]
        async with session().post(
            gencove_url, json={"email": email, "role": ""}, headers=gencove_headers
        ) as response:
            answer: dict[str, Any] = await response.json()
            created = response.status == 201
        if not created:
            await ack(response_type="ephemeral", text=f"Gencove refused {email}: {answer}")
            return
        await ack(response_type="ephemeral", text=f"Invited {email}.")
        await client.chat_postMessage(
            channel=str(command["channel_id"]),
            text=f"<@{command['user_id']}> invited {email} (invitation {answer['id']}).",
        )

    return app


if __name__ == "__main__":
    serve(build())
