"""response_urls: the ones the local Slack hands out (each good for 5 posts within 30
minutes), and the bot's posts to them -- recorded in ``slack.responses``, and replacing or
deleting the message a response_url is bound to when the post asks to."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from aiohttp import web

from invite_bot.playground.slack.messages import blocks_or_none, check_content
from invite_bot.playground.slack.records import Call, JSONDict
from invite_bot.playground.slack.refusal import ApiError, refuse
from invite_bot.playground.slack.web_api import decode_json_fields

if TYPE_CHECKING:
    from invite_bot.playground.slack.server import FakeSlack

RESPONSE_URL_MAX_USES = 5
RESPONSE_URL_TTL = 30 * 60.0


@dataclass
class _ResponseUrl:
    id: str
    created: float
    max_uses: int
    ttl: float
    channel: str | None
    ts: str | None
    uses: int = 0


def _read_post(raw: bytes, content_type: str) -> JSONDict:
    """A response_url post's body: JSON, or a form's ``payload`` (raises ValueError or
    KeyError)."""
    if content_type == "application/json":
        body = json.loads(raw)
    else:
        body = json.loads(dict(parse_qsl(raw.decode("utf-8")))["payload"])
    if not isinstance(body, dict):
        raise ValueError("not an object")
    return body


class ResponseUrls:
    """The response_urls of ``slack`` and the posts made to them."""

    _issued: dict[str, _ResponseUrl]

    def __init__(self, slack: FakeSlack) -> None:
        self.slack = slack
        self.reset()

    def reset(self) -> None:
        """Forget every response_url handed out."""
        self._issued = {}

    def new(self, *, channel: str | None, ts: str | None, max_uses: int, ttl: float) -> str:
        """A fresh response_url, bound to the message (channel, ts) when both are given."""
        rid = uuid.uuid4().hex[:16]
        self._issued[rid] = _ResponseUrl(rid, time.monotonic(), max_uses, ttl, channel, ts)
        self.slack.responses[rid] = []
        return f"{self.slack.base_url}/response/{rid}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """A post to ``/response/{rid}``."""
        violations = self.slack.violations
        rid = request.match_info["rid"]
        call = Call("response_url", {}, None, time.monotonic(), "POST", request.path)
        self.slack.calls.append(call)
        raw = await request.read()
        try:
            body = _read_post(raw, request.content_type)
        except (ValueError, KeyError) as exc:
            problem = ApiError("invalid_payload", violation=True, details=[str(exc)])
            return refuse(violations, call, problem, status=400)
        call.args = body
        interceptor = self.slack.interceptor
        if interceptor is not None:
            answer = await interceptor.before(request, call)
            if answer is not None:
                return answer
        try:
            state = self._usable(rid)
        except ApiError as exc:
            return refuse(violations, call, exc, status=404)
        try:
            decode_json_fields(body)
            check_content(body, require=not body.get("delete_original"))
        except ApiError as exc:
            return refuse(violations, call, exc, status=400)
        state.uses += 1
        self.slack.responses[rid].append(body)
        self._change_message(state, body)
        call.response = {"ok": True}
        return web.json_response({"ok": True})

    def _usable(self, rid: str) -> _ResponseUrl:
        """The response_url ``rid``, if it may still be posted to (raises ApiError)."""
        state = self._issued.get(rid)
        if state is None:
            raise ApiError("unknown_url")
        if time.monotonic() - state.created > state.ttl:
            raise ApiError("expired_url", violation=True)
        if state.uses >= state.max_uses:
            raise ApiError(
                "used_url",
                violation=True,
                details=[f"response_url already used {state.uses} times"],
            )
        return state

    def _change_message(self, state: _ResponseUrl, body: dict[str, Any]) -> None:
        """Replace or delete the message ``state`` is bound to, as ``body`` asks."""
        if not (state.channel and state.ts):
            return
        msg = self.slack.messages.get((state.channel, state.ts))
        if msg is not None and body.get("delete_original"):
            msg.deleted = True
        elif msg is not None and body.get("replace_original"):
            msg.text = body.get("text")
            msg.blocks = blocks_or_none(body.get("blocks"))
            msg.history.append(
                {
                    "text": msg.text,
                    "blocks": msg.blocks,
                    "time": time.monotonic(),
                    "via": "response_url",
                }
            )
