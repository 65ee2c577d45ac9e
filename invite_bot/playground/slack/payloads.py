"""Requests Slack sends the bot, built as Slack builds them: a slash command, a click
(``block_actions``), a modal submission, an Events API event and the URL check. Sign and
send them with ``signing.deliver``."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from urllib.parse import urlencode

from invite_bot.playground.slack.blockkit import text_of
from invite_bot.playground.slack.records import JSONDict, Message

#: A response_url that fails fast (connection refused) -- pass ``slack.new_response_url()``.
UNSET_RESPONSE_URL = "http://127.0.0.1:9/response/unset"

_trigger_counter = itertools.count(1)


def new_trigger_id() -> str:
    """A fresh trigger_id, shaped like Slack's."""
    return f"{next(_trigger_counter)}.{int(time.time())}.{uuid.uuid4().hex}"


def slash_command_body(
    text: str,
    user_id: str = "U_ADMIN",
    channel_id: str = "C_GENERAL",
    team_id: str = "T1",
    command: str = "/gencove",
    response_url: str = UNSET_RESPONSE_URL,
    trigger_id: str | None = None,
    *,
    user_name: str = "admin",
    channel_name: str = "general",
    team_domain: str = "test-team",
    api_app_id: str = "A_FAKE",
) -> bytes:
    """A slash-command POST body, form-encoded with the fields Slack sends."""
    fields = {
        "token": "verification-token-unused",
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }
    return urlencode(fields).encode()


def find_element(blocks: Any, action_id: str) -> tuple[str | None, Mapping[str, Any] | None]:
    """The block id and the element with `action_id` in `blocks` (None, None if absent)."""
    if not isinstance(blocks, list):
        return None, None
    for block in blocks:
        if not isinstance(block, Mapping):
            continue
        candidates = list(block.get("elements") or [])
        if block.get("accessory"):
            candidates.append(block["accessory"])
        if block.get("element"):
            candidates.append(block["element"])
        for element in candidates:
            if isinstance(element, Mapping) and element.get("action_id") == action_id:
                return block.get("block_id"), element
    return None, None


def form_payload(payload: Mapping[str, Any]) -> bytes:
    """An interactivity body, as Slack posts it: `payload=<JSON>`, form-encoded."""
    return urlencode({"payload": json.dumps(payload)}).encode()


def _bot_message(**fields: Any) -> JSONDict:
    return {"type": "message", "user": "U_BOT", "bot_id": "B_BOT", "text": "", **fields}


def _clicked_message(
    message: Sequence[Mapping[str, Any]] | Mapping[str, Any] | Message | None,
    channel_id: str | None,
    message_ts: str | None,
    *,
    ephemeral: bool,
) -> tuple[JSONDict | None, str, str]:
    """The message a click came from as Slack sends it (none for an ephemeral one given
    none), and its channel and ts (those given win)."""
    msg, channel, ts = _message_of(message, channel_id, message_ts)
    if msg is None and not ephemeral:
        msg = _bot_message(blocks=[])
    return msg, channel or "C_GENERAL", ts or "1700000000.000100"


def _message_of(
    message: Sequence[Mapping[str, Any]] | Mapping[str, Any] | Message | None,
    channel_id: str | None,
    message_ts: str | None,
) -> tuple[JSONDict | None, str | None, str | None]:
    """``message`` (a Message, a message dict or its blocks) as a click carries it."""
    if isinstance(message, Message):
        msg: JSONDict = {
            "type": "message",
            "user": "U_BOT",
            "bot_id": "B_BOT",
            "ts": message.ts,
            "text": message.text or "",
            "blocks": message.blocks or [],
        }
        return msg, channel_id or message.channel, message_ts or message.ts
    if isinstance(message, Mapping):
        given = dict(message)
        return given, channel_id, message_ts or given.get("ts")
    if message is not None:
        return _bot_message(blocks=[dict(b) for b in message]), channel_id, message_ts
    return None, channel_id, message_ts


def action_of(
    action_id: str,
    block_id: str,
    element: Mapping[str, Any],
    value: str | None,
    action_type: str | None,
    action_text: str | None,
    selected_option: Mapping[str, Any] | None,
) -> JSONDict:
    """The ``actions[0]`` of a click on ``element``: a button's text and value, or the
    option chosen in a select."""
    kind = action_type or str(element.get("type", "button"))
    action: JSONDict = {
        "action_id": action_id,
        "block_id": block_id,
        "type": kind,
        "action_ts": f"{time.time():.6f}",
    }
    if kind == "button":
        text = action_text if action_text is not None else text_of(element.get("text"))
        action["text"] = {"type": "plain_text", "text": text or action_id, "emoji": True}
        val = value if value is not None else element.get("value")
        if val is not None:
            action["value"] = val
        if element.get("style"):
            action["style"] = element["style"]
    elif selected_option is not None or value is not None:
        action["selected_option"] = (
            dict(selected_option)
            if selected_option
            else {
                "text": {"type": "plain_text", "text": value, "emoji": True},
                "value": value,
            }
        )
    return action


def payload_user(user_id: str, user_name: str, team_id: str) -> JSONDict:
    """The `user` of an interactivity payload."""
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}


def block_action_body(
    action_id: str,
    value: str | None = None,
    user_id: str = "U_ADMIN",
    channel_id: str | None = None,
    message_ts: str | None = None,
    message: Sequence[Mapping[str, Any]] | Mapping[str, Any] | Message | None = None,
    response_url: str = UNSET_RESPONSE_URL,
    container: Literal["message", "ephemeral"] = "message",
    block_id: str | None = None,
    trigger_id: str | None = None,
    *,
    team_id: str = "T1",
    user_name: str = "admin",
    action_type: str | None = None,
    action_text: str | None = None,
    selected_option: Mapping[str, Any] | None = None,
    state_values: Mapping[str, Any] | None = None,
    api_app_id: str = "A_FAKE",
) -> bytes:
    """A ``block_actions`` interaction (``payload=<json>`` form body) for a click on
    ``action_id``. ``message`` may be the blocks, a message dict or a FakeSlack Message;
    block_id / button text / value / type default to the element found in its blocks.
    Ephemeral containers carry no ``message`` (as in Slack)."""
    ephemeral = container == "ephemeral"
    msg, channel, ts = _clicked_message(message, channel_id, message_ts, ephemeral=ephemeral)
    found_block_id, element = find_element(msg.get("blocks") if msg else None, action_id)
    block_id = block_id or found_block_id or "fake_block"
    action = action_of(
        action_id, block_id, element or {}, value, action_type, action_text, selected_option
    )
    payload: JSONDict = {
        "type": "block_actions",
        "user": payload_user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": "verification-token-unused",
        "container": {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": ephemeral,
        },
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": "test-team"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": channel.lower()},
        "state": {"values": dict(state_values or {})},
        "response_url": response_url,
        "actions": [action],
    }
    if msg is not None and not ephemeral:
        msg.setdefault("ts", ts)
        payload["message"] = msg
    return form_payload(payload)


def _state_values(values: Mapping[str, Mapping[str, Any]]) -> JSONDict:
    out: JSONDict = {}
    for block_id, actions in values.items():
        out[block_id] = {}
        for action_id, value in actions.items():
            if isinstance(value, Mapping):
                out[block_id][action_id] = dict(value)
            else:
                out[block_id][action_id] = {"type": "plain_text_input", "value": value}
    return out


def view_submission_body(
    callback_id: str,
    values: Mapping[str, Mapping[str, Any]] | None = None,
    user_id: str = "U_ADMIN",
    private_metadata: str = "",
    view_id: str | None = None,
    *,
    team_id: str = "T1",
    view: Mapping[str, Any] | None = None,
    trigger_id: str | None = None,
    user_name: str = "admin",
    api_app_id: str = "A_FAKE",
) -> bytes:
    """A ``view_submission`` (``payload=<json>`` form body). ``values`` is
    ``{block_id: {action_id: "text" | full_state_dict}}`` (a str becomes a
    plain_text_input value). ``view`` (e.g. ``OpenedView.view``) supplies blocks/title/id."""
    base = dict(view or {})
    vid = view_id or base.get("id") or f"V{uuid.uuid4().hex[:8].upper()}"
    submitted: JSONDict = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Fake"},
        "blocks": [],
        **base,
        "id": vid,
        "team_id": team_id,
        "callback_id": callback_id,
        "private_metadata": private_metadata or base.get("private_metadata", ""),
        "state": {"values": _state_values(values or {})},
        "hash": base.get("hash") or f"{int(time.time())}.fakehash",
        "root_view_id": base.get("root_view_id") or vid,
        "app_id": api_app_id,
        "bot_id": "B_BOT",
    }
    payload: JSONDict = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "test-team"},
        "user": payload_user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": "verification-token-unused",
        "trigger_id": trigger_id or new_trigger_id(),
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return form_payload(payload)


def event_body(
    event: Mapping[str, Any],
    *,
    team_id: str = "T1",
    api_app_id: str = "A_FAKE",
    event_id: str | None = None,
    event_time: int | None = None,
) -> bytes:
    """An Events API ``event_callback`` JSON body."""
    payload = {
        "token": "verification-token-unused",
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": event_time or int(time.time()),
        "authorizations": [
            {"team_id": team_id, "user_id": "U_BOT", "is_bot": True, "enterprise_id": None}
        ],
        "is_ext_shared_channel": False,
    }
    return json.dumps(payload).encode()


def dm_message_event(
    user_id: str,
    channel_id: str,
    text: str,
    ts: str,
    *,
    team_id: str = "T1",
    blocks: Sequence[Mapping[str, Any]] | None = None,
    files: Sequence[Mapping[str, Any]] | None = None,
) -> JSONDict:
    """The ``message`` event (``message.im``) of a person's message in their DM with the
    app, as the Events API sends it: ``text`` as Slack sends it (``typed.message_text``);
    with ``files`` (file objects, as files.info gives them), the ``file_share`` subtype."""
    event: JSONDict = {
        "type": "message",
        "channel": channel_id,
        "user": user_id,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "im",
        "team": team_id,
        "client_msg_id": str(uuid.uuid4()),
    }
    if blocks:
        event["blocks"] = [dict(block) for block in blocks]
    if files is not None:
        event.update(
            subtype="file_share",
            files=[dict(shared) for shared in files],
            upload=True,
            display_as_bot=False,
        )
    return event


def file_shared_event(user_id: str, channel_id: str, file_id: str, event_ts: str) -> JSONDict:
    """The ``file_shared`` event Slack sends beside the ``file_share`` message."""
    return {
        "type": "file_shared",
        "channel_id": channel_id,
        "file_id": file_id,
        "user_id": user_id,
        "file": {"id": file_id},
        "event_ts": event_ts,
    }


def view_closed_body(
    view: Mapping[str, Any],
    user_id: str = "U_ADMIN",
    user_name: str = "admin",
    *,
    team_id: str = "T1",
    api_app_id: str = "A_FAKE",
) -> bytes:
    """The ``view_closed`` interaction Slack sends when a person closes ``view`` (one that
    asked for it with ``notify_on_close``)."""
    payload = {
        "type": "view_closed",
        "team": {"id": team_id, "domain": "playground"},
        "user": {"id": user_id, "username": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "view": dict(view),
        "is_cleared": False,
    }
    return form_payload(payload)


def url_verification_body(challenge: str = "fake-challenge") -> bytes:
    return json.dumps(
        {"token": "verification-token-unused", "challenge": challenge, "type": "url_verification"}
    ).encode()
