"""Requests Slack sends from its own surfaces, built as Slack builds them: a global
shortcut (the shortcuts menu), a message shortcut (a message's "…" menu) and a workflow
reaching the app's custom step (`function_executed`). Sign and send them with
``signing.deliver``, like the bodies in ``payloads``."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from invite_bot.playground.slack.functions import Execution
from invite_bot.playground.slack.payloads import event_body, new_trigger_id
from invite_bot.playground.slack.records import JSONDict


def _form(payload: Mapping[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def _base(
    kind: str, callback_id: str, user_id: str, team_id: str, trigger_id: str | None
) -> JSONDict:
    return {
        "type": kind,
        "token": "verification-token-unused",
        "action_ts": f"{time.time():.6f}",
        "team": {"id": team_id, "domain": "test-team"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": team_id},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or new_trigger_id(),
    }


def global_shortcut_body(
    callback_id: str, *, user_id: str, team_id: str = "T1", trigger_id: str | None = None
) -> bytes:
    """A global shortcut chosen from the shortcuts menu (``type: shortcut``)."""
    return _form(_base("shortcut", callback_id, user_id, team_id, trigger_id))


def message_shortcut_body(
    callback_id: str,
    message: Mapping[str, Any],
    *,
    user_id: str,
    channel_id: str,
    response_url: str,
    team_id: str = "T1",
    trigger_id: str | None = None,
) -> bytes:
    """A message shortcut chosen from a message's "…" menu (``type: message_action``),
    carrying the message as Slack sends it (its ``user``, ``ts`` and ``text``)."""
    payload = _base("message_action", callback_id, user_id, team_id, trigger_id)
    payload.update(
        {
            "channel": {"id": channel_id, "name": channel_id.lower()},
            "response_url": response_url,
            "message_ts": message.get("ts"),
            "message": {"type": "message", **dict(message)},
        }
    )
    return _form(payload)


def function_executed_body(
    execution: Execution, *, team_id: str = "T1", api_app_id: str = "A_FAKE"
) -> bytes:
    """The ``function_executed`` event of ``execution`` (a workflow reached the step)."""
    event = {
        "type": "function_executed",
        "function": {
            "id": f"Fn{uuid.uuid5(uuid.NAMESPACE_URL, execution.callback_id).hex[:10].upper()}",
            "callback_id": execution.callback_id,
            "title": execution.callback_id.replace("_", " "),
            "description": "",
            "type": "app",
            "input_parameters": [],
            "output_parameters": [],
            "app_id": api_app_id,
            "date_created": int(execution.started),
            "date_updated": int(execution.started),
            "date_deleted": 0,
        },
        "inputs": dict(execution.inputs),
        "function_execution_id": execution.id,
        "workflow_execution_id": f"Wx{execution.id[2:]}",
        "event_ts": f"{execution.started:.6f}",
        "bot_access_token": execution.bot_access_token,
    }
    return event_body(event, team_id=team_id, api_app_id=api_app_id)
