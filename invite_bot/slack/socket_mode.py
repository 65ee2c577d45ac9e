"""Socket Mode: the app's connection out to Slack, and whether it is up.

Bolt's `AsyncSocketModeHandler` runs the app over slack_sdk's aiohttp Socket Mode client,
which reconnects by itself (after a drop, a `disconnect` message, or pings left
unanswered). What a readiness probe needs is that client's own public answer,
`is_connected()`: a socket open, not closed by Slack, and answering pings.
"""

from __future__ import annotations

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp


class SocketModeConnection:
    """`app` served over Socket Mode with the app-level token `app_token`."""

    def __init__(self, app: AsyncApp, app_token: str) -> None:
        self._handler = AsyncSocketModeHandler(app, app_token)
        self._closed = False

    async def connect(self) -> None:
        """Open the first connection; until it is open, retried every few seconds (a
        connection Slack refuses is logged each time)."""
        await self._handler.connect_async()  # type: ignore[no-untyped-call]

    async def connected(self) -> bool:
        """Whether the socket is connected now (False before the first connection, while
        reconnecting, and after `close`)."""
        return bool(await self._handler.client.is_connected())

    async def close(self) -> None:
        """Close the socket and the client's session; closing again does nothing."""
        if not self._closed:
            self._closed = True
            await self._handler.close_async()  # type: ignore[no-untyped-call]
