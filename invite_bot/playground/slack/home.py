"""The Home tab: ``views.publish`` (checked as Slack checks it: a view of type home, at
most 100 blocks, for a person of the workspace) and what plays Slack toward the bot for it:
``app_home_opened`` when a person opens the tab, and a click on a published Home."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from invite_bot.playground.slack.blockkit import validate_view
from invite_bot.playground.slack.messages import dm_id
from invite_bot.playground.slack.payloads import (
    action_of,
    event_body,
    find_element,
    form_payload,
    new_trigger_id,
    payload_user,
)
from invite_bot.playground.slack.records import JSONDict
from invite_bot.playground.slack.refusal import ApiError

if TYPE_CHECKING:
    from invite_bot.playground.slack.server import FakeSlack


class HomeTabs:
    """Each person's published Home tab in ``slack.homes`` (user id -> the view as Slack
    answers it); every publish is in ``slack.calls`` too."""

    def __init__(self, slack: FakeSlack) -> None:
        self.slack = slack
        self._ids = itertools.count(1)
        self._view_ids: dict[str, str] = {}

    def methods(self) -> dict[str, Callable[[JSONDict], JSONDict]]:
        return {"views.publish": self.publish}

    def publish(self, args: JSONDict) -> JSONDict:
        user_id = args.get("user_id")
        if not isinstance(user_id, str) or not user_id:
            raise ApiError("invalid_arguments", violation=True, details=["user_id missing"])
        view = args.get("view")
        errors = validate_view(view)
        if isinstance(view, Mapping) and view.get("type") != "home":
            errors.append("views.publish takes a view of type home [json-pointer:/view/type]")
        if errors:
            raise ApiError("invalid_arguments", violation=True, details=errors)
        if user_id not in self.slack.users:
            raise ApiError("user_not_found")
        assert isinstance(view, Mapping)
        view_id = self._view_ids.setdefault(user_id, f"VH{next(self._ids):07d}")
        answered: JSONDict = {
            **view,
            "id": view_id,
            "team_id": self.slack.team_id,
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "app_id": self.slack.app_id,
            "bot_id": self.slack.bot_id,
        }
        self.slack.homes[user_id] = answered
        return {"view": answered}


def publishes_to(slack: FakeSlack, user_id: str) -> int:
    """How many times the bot published `user_id`'s Home tab (Slack took it)."""
    return sum(
        1 for c in slack.calls_to("views.publish") if c.ok and c.args.get("user_id") == user_id
    )


def home_opened_body(user_id: str, *, tab: str = "home", team_id: str = "T1") -> bytes:
    """``app_home_opened`` as Slack sends it when `user_id` opens the app's `tab`."""
    event = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": dm_id(user_id),
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }
    return event_body(event, team_id=team_id)


def home_action_body(
    action_id: str,
    view: Mapping[str, Any],
    *,
    user_id: str,
    value: str | None = None,
    selected_conversation: str | None = None,
    trigger_id: str | None = None,
    team_id: str = "T1",
) -> bytes:
    """A click on `action_id` in the published Home `view`, as Slack sends it: the view
    as container, no channel, no response_url."""
    block_id, element = find_element(view.get("blocks"), action_id)
    if element is None:
        raise LookupError(f"no {action_id} in this Home tab")
    action = action_of(action_id, block_id or "", element, value, None, None, None)
    if selected_conversation is not None:
        action["selected_conversation"] = selected_conversation
    payload: JSONDict = {
        "type": "block_actions",
        "user": payload_user(user_id, user_id.lower(), team_id),
        "api_app_id": "A_FAKE",
        "token": "verification-token-unused",
        "container": {"type": "view", "view_id": view.get("id")},
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": "test-team"},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": json.loads(json.dumps(view)),
        "actions": [action],
    }
    return form_payload(payload)
