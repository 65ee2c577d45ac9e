"""The modals open on each person's screen in the local Slack: the views the bot opened
for them (known by the trigger_id their action carried), what the bot's answer to a
submission does to them (errors, update, push, clear or close), and Slack's
``view.state.values`` for what the person entered. ``conversations.LocalSlack`` uses it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from invite_bot.playground.slack import FakeSlack, OpenedView, SlackDelivery


@dataclass
class ViewState:
    """One open modal as its person sees it: the view and the field errors under it."""

    view_id: str
    errors: dict[str, str] = field(default_factory=dict)


class Modals:
    """Each person's open modals, top last."""

    def __init__(self, slack: FakeSlack) -> None:
        self.slack = slack
        self._triggers: dict[str, str] = {}  # trigger_id -> user id
        self._stacks: dict[str, list[ViewState]] = {}  # user id -> open modals, top last
        self._seen_views: set[str] = set()

    def trigger_for(self, user_id: str) -> str:
        """A trigger_id for an action of ``user_id``: a view opened with it is theirs."""
        trigger_id = self.slack.new_trigger_id()
        self._triggers[trigger_id] = user_id
        return trigger_id

    def take_in(self) -> int:
        """Show each view the bot opened since the last look to its person; how many.

        As in Slack, views.open opens a new modal: whatever modal the person had open is
        gone (it never comes back when the new one closes); views.push puts its view on
        top of the open one, which shows again when the pushed view closes."""
        shown = 0
        for view_id, opened in list(self.slack.views.items()):
            if view_id in self._seen_views:
                continue
            self._seen_views.add(view_id)
            user_id = self._triggers.get(opened.trigger_id or "")
            if user_id is None:
                continue
            stack = self._stacks.setdefault(user_id, [])
            if not opened.pushed:
                stack.clear()
            stack.append(ViewState(view_id))
            shown += 1
        return shown

    def top(self, user_id: str) -> ViewState | None:
        """The modal on top of the person's screen, if any."""
        stack = self._stacks.get(user_id)
        return stack[-1] if stack else None

    def opened(self, view_id: str) -> OpenedView:
        return self.slack.views[view_id]

    def close(self, user_id: str) -> None:
        """The person closes the modal on top."""
        self._stacks[user_id].pop()

    def after_submission(self, user_id: str, state: ViewState, answer: SlackDelivery) -> None:
        """What the bot's ``answer`` to submitting ``state`` does to the person's modals."""
        stack = self._stacks.get(user_id, [])
        body = json_object(answer.text) or {}
        action = body.get("response_action")
        if answer.status != 200:
            state.errors = {"": "We had some trouble connecting. Try again?"}
        elif action == "errors":
            state.errors = {str(k): str(v) for k, v in (body.get("errors") or {}).items()}
        elif action == "update" and isinstance(body.get("view"), dict):
            opened = self.opened(state.view_id)
            opened.view = {
                **body["view"],
                "id": opened.id,
                "hash": uuid.uuid4().hex,
                "state": {"values": {}},
            }
            state.errors = {}
        elif action == "push" and isinstance(body.get("view"), dict):
            view_id = f"VLOCAL{uuid.uuid4().hex[:8].upper()}"
            self.slack.views[view_id] = OpenedView(
                view_id, {**body["view"], "id": view_id}, None, None
            )
            self._seen_views.add(view_id)
            stack.append(ViewState(view_id))
        elif action == "clear":
            stack.clear()
        elif state in stack:
            stack.remove(state)

    def with_files(
        self, user_id: str, values: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        """`values` with each chosen file ({name, text}) uploaded to the local Slack, as
        Slack does before the submission: a file_input's value is the files' descriptions."""
        files = self.slack.files
        shared: dict[str, dict[str, Any]] = {}
        for block_id, actions in values.items():
            shared[block_id] = {}
            for action_id, given in actions.items():
                if isinstance(given, list) and given and all(isinstance(f, dict) for f in given):
                    given = [
                        files.describe(
                            files.add(
                                str(f.get("name") or "file.csv"),
                                str(f.get("text") or "").encode("utf-8"),
                                user=user_id,
                            )
                        )
                        for f in given
                    ]
                shared[block_id][action_id] = given
        return shared


def json_object(text: str) -> dict[str, Any] | None:
    """``text`` as a JSON object, if it is one."""
    try:
        value = json.loads(text) if text.strip() else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def state_values(
    view: Mapping[str, Any], values: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Slack's `view.state.values` for what the person entered, typed by each input."""
    state: dict[str, dict[str, Any]] = {}
    for block in view.get("blocks", []):
        element = block.get("element") if block.get("type") == "input" else None
        if not isinstance(element, dict):
            continue
        block_id, action_id = str(block.get("block_id")), str(element.get("action_id"))
        given = values.get(block_id, {}).get(action_id)
        kind = str(element.get("type"))
        if kind in ("static_select", "radio_buttons"):
            option = _option(element, given)
            state[block_id] = {action_id: {"type": kind, "selected_option": option}}
        elif kind == "checkboxes":
            ticked = [_option(element, value) for value in (given or [])]
            chosen = [option for option in ticked if option is not None]
            state[block_id] = {action_id: {"type": kind, "selected_options": chosen}}
        elif kind in ("plain_text_input", "email_text_input", "url_text_input"):
            state[block_id] = {action_id: {"type": kind, "value": given or None}}
        elif kind == "file_input":
            files = [f for f in given or [] if isinstance(f, dict)]
            state[block_id] = {action_id: {"type": kind, "files": files}}
        else:
            state[block_id] = {action_id: {"type": kind, "value": given}}
    return state


def _option(element: Mapping[str, Any], value: Any) -> dict[str, Any] | None:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    for option in options:
        if option.get("value") == value:
            return dict(option)
    return None
