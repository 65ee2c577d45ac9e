"""The views.* methods: views.open (a new modal), views.push (a view on top of the open
one) and views.update, with the trigger_ids that let a view open (used once, within 3 s)."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

from invite_bot.playground.slack.blockkit import validate_view
from invite_bot.playground.slack.payloads import new_trigger_id
from invite_bot.playground.slack.records import JSONDict, OpenedView
from invite_bot.playground.slack.refusal import ApiError

if TYPE_CHECKING:
    from invite_bot.playground.slack.server import FakeSlack

TRIGGER_ID_TTL = 3.0


class Views:
    """The bot's modals in ``slack.views``, and the trigger_ids this fake issued."""

    _issued: dict[str, float]  # trigger_id -> when it was issued
    _used: set[str]

    def __init__(self, slack: FakeSlack) -> None:
        self.slack = slack
        self._ids = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        """Forget every trigger_id issued and used."""
        self._issued = {}
        self._used = set()

    def methods(self) -> dict[str, Callable[[JSONDict], JSONDict]]:
        return {"views.open": self.open, "views.push": self.push, "views.update": self.update}

    def new_trigger_id(self) -> str:
        """A trigger_id the fake knows: views.open refuses it once used or after 3 s."""
        trigger_id = new_trigger_id()
        self._issued[trigger_id] = time.monotonic()
        return trigger_id

    def _view_json(self, view_id: str, view: JSONDict, external_id: str | None) -> JSONDict:
        slack = self.slack
        return {
            **view,
            "id": view_id,
            "team_id": slack.team_id,
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": external_id or "",
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": slack.app_id,
            "bot_id": slack.bot_id,
        }

    def _take_trigger(self, trigger_id: str) -> None:
        """Use up ``trigger_id`` (raises if it was used or has expired)."""
        if trigger_id in self._used:
            raise ApiError("exchanged_trigger_id")
        issued = self._issued.get(trigger_id)
        if issued is not None and time.monotonic() - issued > TRIGGER_ID_TTL:
            raise ApiError("expired_trigger_id")
        self._used.add(trigger_id)

    def push(self, args: JSONDict) -> JSONDict:
        answer = self.open(args)
        self.slack.views[answer["view"]["id"]].pushed = True
        return answer

    def open(self, args: JSONDict) -> JSONDict:
        trigger_id = args.get("trigger_id") or args.get("interactivity_pointer")
        if not isinstance(trigger_id, str) or not trigger_id:
            raise ApiError("invalid_arguments", violation=True, details=["trigger_id missing"])
        view = _checked_view(args)
        self._take_trigger(trigger_id)
        views = self.slack.views
        external_id = view.get("external_id") or None
        if external_id and any(v.external_id == external_id for v in views.values()):
            raise ApiError("duplicate_external_id")
        view_id = f"V{next(self._ids):08d}"
        answered = self._view_json(view_id, view, external_id)
        views[view_id] = OpenedView(view_id, answered, trigger_id, external_id, [answered])
        return {"view": answered}

    def update(self, args: JSONDict) -> JSONDict:
        view_id = args.get("view_id")
        external_id = args.get("external_id")
        if not view_id and not external_id:
            raise ApiError(
                "invalid_arguments", violation=True, details=["view_id or external_id required"]
            )
        view = _checked_view(args)
        views = self.slack.views
        found = views.get(str(view_id)) if view_id else None
        if found is None and external_id:
            found = next((v for v in views.values() if v.external_id == external_id), None)
        if found is None:
            raise ApiError("not_found")
        if args.get("hash") and args["hash"] != found.view.get("hash"):
            raise ApiError("hash_conflict")
        answered = self._view_json(found.id, view, found.external_id)
        found.view = answered
        found.history.append(answered)
        return {"view": answered}


def _checked_view(args: Mapping[str, Any]) -> JSONDict:
    view = args.get("view")
    errors = validate_view(view)
    if errors:
        raise ApiError("invalid_arguments", violation=True, details=errors)
    return dict(cast("Mapping[str, Any]", view))
