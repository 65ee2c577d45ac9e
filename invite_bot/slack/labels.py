"""What a Slack request is called in the metrics: a subcommand, a button or a modal,
always one of a few fixed names (never what the user typed). Pure functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from invite_bot.config.metrics import OTHER, Metrics
from invite_bot.domain.grammar import (
    Accept,
    Command,
    Invite,
    InviteModal,
    Link,
    ListInvitations,
    Notify,
    Revoke,
    Unlink,
    Usage,
    WhoAmI,
    parse_command,
)
from invite_bot.slack.blockkit import (
    ACCEPT,
    INVITE_MODAL,
    LINK_FROM_CARD,
    LINK_MODAL,
    LIST_PAGE,
    REVOKE,
)
from invite_bot.slack.inbound import COMMAND, SlackRequest

_COMMANDS: tuple[tuple[type[Any], str], ...] = (
    (Invite, "invite"),
    (InviteModal, "invite"),
    (ListInvitations, "list"),
    (Revoke, "revoke"),
    (Accept, "accept"),
    (Link, "link"),
    (Unlink, "unlink"),
    (WhoAmI, "whoami"),
    (Notify, "notify"),
)
_BUTTONS = {REVOKE: "revoke", ACCEPT: "accept", LINK_FROM_CARD: "link_account"}
_MODALS = {INVITE_MODAL: "invite_modal", LINK_MODAL: "link_modal"}


def subcommand_of(command: Command) -> str:
    """ "invite", "list", … for a parsed command; "help" for help and unknown words."""
    if isinstance(command, Usage):
        return command.subcommand
    for kind, name in _COMMANDS:
        if isinstance(command, kind):
            return name
    return "help"


def button_of(action_id: str) -> str:
    if action_id.startswith(LIST_PAGE):
        return "list_page"
    return _BUTTONS.get(action_id, OTHER)


def modal_of(callback_id: str) -> str:
    return _MODALS.get(callback_id, OTHER)


def count(
    metrics: Metrics, request: SlackRequest, payload: Mapping[str, Any], outcome: str
) -> None:
    """Count one handled request (`payload` as the listener got it) under its name."""
    if request.kind == COMMAND:
        text = str(payload.get("text") or "")
        metrics.command_handled(subcommand_of(parse_command(text)), outcome)
    elif request.kind == "block_actions":
        metrics.interaction_handled(
            "button", button_of(str(payload.get("action_id") or "")), outcome
        )
    elif request.kind == "view_submission":
        metrics.interaction_handled(
            "modal", modal_of(str(payload.get("callback_id") or "")), outcome
        )
