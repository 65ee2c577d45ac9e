"""Slack's Socket Mode, as the local Slack serves it over loopback.

`apps.connections.open` (with the app-level `xapp-` token) answers a `ws://127.0.0.1:…`
address; the socket there says `hello`, then carries envelopes — `slash_commands`,
`interactive` (block_actions, view_submission, view_closed) and `events_api` — each with an
`envelope_id` the app must acknowledge within 3 seconds, with a response `payload` where
the envelope `accepts_response_payload`. Like Slack, it can ask the app to reconnect
(`{"type": "disconnect", "reason": "refresh_requested"}`) or just drop the socket, and it
delivers an envelope that was never acknowledged again on the next connection, with
`retry_attempt` and `retry_reason`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

ACK_DEADLINE = 3.0  # seconds Slack waits for an envelope's acknowledgement
JSONDict = dict[str, Any]


@dataclass
class Envelope:
    """One delivery over the socket, and what the app answered."""

    id: str
    type: str  # slash_commands | interactive | events_api
    payload: JSONDict
    accepts_response_payload: bool
    sent_at: list[float] = field(default_factory=list)  # each delivery, time.monotonic()
    ack: JSONDict | None = None  # the app's answer: {"envelope_id", ["payload"]}
    acked_at: float | None = None

    def message(self, retry_attempt: int) -> JSONDict:
        return {
            "envelope_id": self.id,
            "type": self.type,
            "payload": self.payload,
            "accepts_response_payload": self.accepts_response_payload,
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }


class SocketMode:
    """The Socket Mode side of the local Slack; `FakeSlack.socket_mode` when enabled."""

    def __init__(self, app_token: str, base_ws_url: str, *, app_id: str) -> None:
        self.app_token = app_token
        self._base_ws_url = base_ws_url
        self.app_id = app_id
        self.connections: list[str] = []  # connection ids, in the order they were opened
        self.envelopes: dict[str, Envelope] = {}
        self._issued: set[str] = set()
        self._sockets: dict[str, web.WebSocketResponse] = {}
        self._connected = asyncio.Condition()

    # -- what Slack answers ---------------------------------------------------------

    def connections_open(self, token: str | None) -> tuple[JSONDict, str | None]:
        """`apps.connections.open`: a socket address, or the error Slack would give."""
        if not token or not token.startswith("xapp-"):
            return {}, "not_allowed_token_type"
        if token != self.app_token:
            return {}, "invalid_auth"
        connection = uuid.uuid4().hex[:12]
        self._issued.add(connection)
        return {"url": f"{self._base_ws_url}/socket/{connection}"}, None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        connection = request.match_info["connection"]
        if connection not in self._issued:
            return web.Response(status=404, text="unknown connection")
        self._issued.discard(connection)  # an address is good for one connection
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets) + 1,
                "debug_info": {"host": "local-slack", "approximate_connection_time": 3600},
                "connection_info": {"app_id": self.app_id},
            }
        )
        async with self._connected:
            self._sockets[connection] = socket
            self.connections.append(connection)
            self._connected.notify_all()
        await self._redeliver(socket)
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    self._take_ack(message.data)
        finally:
            self._sockets.pop(connection, None)
        return socket

    # -- what tests and the playground do -------------------------------------------

    @property
    def connected(self) -> bool:
        return any(not socket.closed for socket in self._sockets.values())

    async def wait_connected(self, *, connections: int = 1, timeout: float = 30.0) -> None:
        """Until the app has opened `connections` sockets in all, one of them still open."""

        def ready() -> bool:
            return len(self.connections) >= connections and self.connected

        async with self._connected:
            await asyncio.wait_for(self._connected.wait_for(ready), timeout)

    async def send(
        self,
        envelope_type: str,
        payload: Mapping[str, Any],
        *,
        accepts_response_payload: bool | None = None,
    ) -> Envelope:
        """Deliver an envelope on the open socket (or on the next one, if none is open)."""
        if accepts_response_payload is None:
            # Slack lets commands and interactions answer in the acknowledgement.
            accepts_response_payload = envelope_type in ("slash_commands", "interactive")
        envelope = Envelope(
            f"env-{uuid.uuid4().hex[:16]}", envelope_type, dict(payload), accepts_response_payload
        )
        self.envelopes[envelope.id] = envelope
        socket = self._open_socket()
        if socket is not None:
            envelope.sent_at.append(time.monotonic())
            await socket.send_json(envelope.message(0))
        return envelope

    async def acknowledged(self, envelope: Envelope, *, timeout: float = 30.0) -> JSONDict:
        """The app's acknowledgement of `envelope` (waits for it)."""
        deadline = time.monotonic() + timeout
        while envelope.ack is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"envelope {envelope.id} was not acknowledged")
            await asyncio.sleep(0.02)
        return envelope.ack

    async def ask_to_reconnect(self, reason: str = "refresh_requested") -> None:
        """Slack's `disconnect` message: the app opens a new connection, then this closes."""
        for socket in list(self._sockets.values()):
            if not socket.closed:
                await socket.send_json({"type": "disconnect", "reason": reason})

    async def drop(self) -> None:
        """Close every socket at once, as a network failure or a Slack restart would."""
        for socket in list(self._sockets.values()):
            await socket.close(code=1011, message=b"dropped")

    async def redeliver(self, envelope: Envelope) -> None:
        """Send an envelope again (Slack does so for one not acknowledged in time)."""
        socket = self._open_socket()
        if socket is None:
            raise RuntimeError("no open socket")
        envelope.sent_at.append(time.monotonic())
        await socket.send_json(envelope.message(len(envelope.sent_at) - 1))

    # -- the plumbing ---------------------------------------------------------------

    def _open_socket(self) -> web.WebSocketResponse | None:
        for connection in reversed(self.connections):
            socket = self._sockets.get(connection)
            if socket is not None and not socket.closed:
                return socket
        return None

    def _take_ack(self, data: str) -> None:
        try:
            answer = json.loads(data)
        except ValueError:
            return
        envelope = self.envelopes.get(str(answer.get("envelope_id"))) if answer else None
        if envelope is not None and envelope.ack is None:
            envelope.ack = answer
            envelope.acked_at = time.monotonic()

    async def _redeliver(self, socket: web.WebSocketResponse) -> None:
        """Envelopes never acknowledged are delivered again on a new connection."""
        for envelope in list(self.envelopes.values()):
            if envelope.ack is None:
                envelope.sent_at.append(time.monotonic())
                await socket.send_json(envelope.message(len(envelope.sent_at) - 1))
