"""The note every message carries while the bot runs against the Gencove sandbox.

`invite-bot serve|socket --gencove-sandbox` answers a real Slack workspace with the
embedded Gencove sandbox behind it, so nobody may take a sandbox invitation for a real
one: every message says so at its foot. Messages leave the bot four ways, and each gets
the note in one place here: the acknowledgement body (`SandboxApp`), Bolt's `respond`
(`label_responses`), `response_url` posts of our own (`Bot.slack_respond` calls
`labelled`), and Web API posts and updates (`SandboxWebClient`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from invite_bot.slack.client import ObservedWebClient

log = logging.getLogger(__name__)

NOTE = (
    ":test_tube: *Gencove sandbox*: invitations here are made in a sandbox on the bot's "
    "machine, not in a real Gencove organization."
)
NOTE_BLOCK = "gencove_sandbox"
MAX_BLOCKS = 50
SECTION_TEXT = 3000
LABELLED_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update"})


def labelled(message: Mapping[str, Any]) -> dict[str, Any]:
    """`message` (text and/or blocks) with the sandbox note as its last block.

    A message of text alone gets that text as a section first, so it still reads the same.
    One that already has Slack's 50 blocks stays as it is (there is no room; logged).
    """
    out = dict(message)
    blocks = list(out.get("blocks") or [])
    if any(_is_note(block) for block in blocks):
        return out
    if not blocks:
        text = str(out.get("text") or "")
        if not text:
            return out
        blocks = [SectionBlock(text=MarkdownTextObject(text=text[:SECTION_TEXT])).to_dict()]
    if len(blocks) >= MAX_BLOCKS:
        log.info("a message of %d blocks has no room for the sandbox note", len(blocks))
        return out
    out["blocks"] = [*blocks, _note()]
    return out


def _note() -> dict[str, Any]:
    note = ContextBlock(block_id=NOTE_BLOCK, elements=[MarkdownTextObject(text=NOTE)])
    return note.to_dict()


def _is_note(block: Any) -> bool:
    return isinstance(block, Mapping) and block.get("block_id") == NOTE_BLOCK


class SandboxWebClient(ObservedWebClient):
    """The Web API client, with the note on every message it posts or updates."""

    async def api_call(
        self, api_method: str, *, json: dict[str, Any] | None = None, **kwargs: Any
    ) -> AsyncSlackResponse:
        if api_method in LABELLED_METHODS and json is not None:
            json = _blocks_as_dicts(json)
            if api_method != "chat.update" or "blocks" in json or "text" in json:
                json = labelled(json)
        return await super().api_call(api_method, json=json, **kwargs)


def _blocks_as_dicts(payload: dict[str, Any]) -> dict[str, Any]:
    blocks = payload.get("blocks")
    if isinstance(blocks, list):
        as_dicts = [b.to_dict() if hasattr(b, "to_dict") else b for b in blocks]
        payload = {**payload, "blocks": as_dicts}
    return payload


class SandboxApp(AsyncApp):
    """Bolt's app, with the note on every acknowledgement that shows a message."""

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        response = await super().async_dispatch(req)
        return label_ack(response)


def label_ack(response: BoltResponse) -> BoltResponse:
    """An acknowledgement that shows a message, with the note (a modal's answer as is)."""
    if response.status != 200 or not response.body.startswith("{"):
        return response
    try:
        body = json.loads(response.body)
    except ValueError:
        return response
    # A modal's answer (errors, update, push, clear) is not a message.
    if not isinstance(body, dict) or "response_action" in body:
        return response
    if not (body.get("text") or body.get("blocks")):
        return response
    response.body = json.dumps(labelled(body))
    response.headers["content-type"] = ["application/json;charset=utf-8"]
    return response


async def label_responses(
    context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
) -> None:
    """Bolt middleware: the listener's `respond()` adds the note to what it sends."""
    respond = context.respond if context.response_url else None
    if respond is not None:
        context["respond"] = _LabelledRespond(respond)
    await next()


class _LabelledRespond:
    def __init__(self, respond: Callable[..., Awaitable[Any]]) -> None:
        self._respond = respond

    async def __call__(self, text: str | dict[str, Any] = "", **kwargs: Any) -> Any:
        if kwargs.get("delete_original"):
            return await self._respond(text, **kwargs)
        if isinstance(text, dict):
            return await self._respond(labelled(text), **kwargs)
        message = labelled({"text": text, "blocks": kwargs.pop("blocks", None)})
        return await self._respond(text=text, blocks=message.get("blocks"), **kwargs)
