"""The Workflow Builder step "Invite to Gencove": its callback id, its inputs and outputs
(as the manifest's `functions` section names them), and the reasons a person reads when
it fails. Pure: no I/O. The step shows no blocks of its own; a person it invites gets the
invite's result message, a member's request goes to the inviters as any request does."""

from __future__ import annotations

import re

FUNCTION = "invite_to_gencove"  # the manifest's functions key and Bolt's app.function id

EMAIL_INPUT = "email"
ROLE_INPUT = "role"
PERSON_INPUT = "requester"  # slack#/types/user_context: the person who used the workflow

INVITATION_OUTPUT = "invitation_id"
STATUS_OUTPUT = "status"
REQUESTED = "requested"  # a member's step: an invite request to the inviters

NO_PERSON = (
    "The step does not know who used the workflow (its “Requested by”), so it invites "
    "nobody: start the workflow from something a person does, such as a link or a button."
)
NO_EMAIL = "The step was given no email address to invite."
UNKNOWN_ROLE = (
    "Nothing was sent: {role} is not one of the organization's roles ({roles}). Leave the "
    "role empty for the organization's default."
)
ONE_ADDRESS = "The step invites one address at a time; it was given {count}."
NOT_INVITED = "The invitation was not made."
GENCOVE_REFUSED = "Gencove refused to invite {email}: {reason}"
UNSURE = (
    "Gencove did not confirm the invitation of {email}; it may or may not exist. An inviter "
    "can check with /gencove list."
)
UNREPORTED = (
    "The step was done, but Slack refused its result ({error}), so it could not be passed "
    "on to the next steps. An inviter can check with /gencove list."
)
MAX_REASON = 500  # Slack shows the reason in a Slackbot message: keep it to a paragraph

_MARKUP = re.compile(r"[`*]")


def plain(text: str) -> str:
    """A refusal written for a Slack message, as plain text for a step's reason."""
    flat = _MARKUP.sub("", text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return flat if len(flat) <= MAX_REASON else flat[: MAX_REASON - 1] + "…"
