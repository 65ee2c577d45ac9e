"""A person's direct message to the bot, as Slack delivers it (the README's "In Slack
beyond the command": a list pasted, or a CSV sent, in the bot's Messages tab).

What the person types is a message in their DM with the bot, in the local Slack (`text`
as Slack's client sends it: `typed.message_text`). Slack then sends the app a `message`
event (`message.im`, `channel_type: "im"`). A file attached is uploaded first and shared
with the message: the event has the `file_share` subtype and the file objects, and a
`file_shared` event comes beside it, for each file. Each is a signed Events API request to
the bot's `/slack/events`, shown in the traffic inspector like every request to the bot.

In a channel, a message does not reach the bot (its app asks for `message.im` only, see
app_manifest.yml): there only `/gencove` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from invite_bot.playground.conversations import LocalSlack
from invite_bot.playground.slack import (
    MAX_TEXT_CHARS,
    SlackDelivery,
    dm_message_event,
    event_body,
    file_shared_event,
)
from invite_bot.playground.slack.typed import message_text, rich_text_blocks
from invite_bot.playground.world import TEAM_ID, Channel, Person

MAX_ATTACHMENT = 5 * 1024 * 1024  # bytes: far above what a bulk invite's CSV takes
_MIMETYPES = {"csv": "text/csv", "tsv": "text/tab-separated-values", "txt": "text/plain"}


class NotADirectMessage(ValueError):
    """A message typed in a channel: it does not reach the bot."""


class MessageTooLong(ValueError):
    """More than a Slack message holds."""


@dataclass(frozen=True)
class Attachment:
    """A file the person attached to their message."""

    name: str
    content: bytes


async def send_direct_message(
    local: LocalSlack,
    who: Person,
    where: Channel,
    text: str,
    attachments: Sequence[Attachment] = (),
) -> list[SlackDelivery]:
    """`who` sends `text` (and `attachments`) in their DM with the bot; the bot's answers
    to the events, in the order sent."""
    if where.key != "dm":
        raise NotADirectMessage(
            "in a channel only /gencove reaches the bot; send it a list or a CSV in its "
            "direct messages"
        )
    if len(text) > MAX_TEXT_CHARS:  # Slack's client will not send a longer one
        raise MessageTooLong(
            f"Slack sends at most {MAX_TEXT_CHARS:,} characters a message; this one has "
            f"{len(text):,}: attach the list as a CSV instead"
        )
    slack = local.slack
    shared = [
        slack.files.add(
            attached.name,
            attached.content,
            user=who.user_id,
            mimetype=_mimetype(attached.name),
            channel=where.channel_id,
        )
        for attached in attachments
    ]
    sent = slack.person_sends(
        who.user_id,
        where.channel_id,
        message_text(text),
        blocks=rich_text_blocks(text) if text.strip() else None,
        files=[found.id for found in shared],
    )
    for found in shared:
        found.message_ts = sent.ts
    local.changes += 1
    event = dm_message_event(
        who.user_id,
        where.channel_id,
        sent.text or "",
        sent.ts,
        team_id=TEAM_ID,
        blocks=sent.blocks,
        files=[slack.files.describe(found) for found in shared] if shared else None,
    )
    what = "file_share message" if shared else "message"
    answers = [await local.send("event", f"{what} from @{who.name} in a DM", _body(event, local))]
    for found in shared:
        shared_event = file_shared_event(who.user_id, where.channel_id, found.id, sent.ts)
        answers.append(
            await local.send("event", f"file_shared {found.name}", _body(shared_event, local))
        )
    return answers


def _body(event: dict[str, object], local: LocalSlack) -> bytes:
    return event_body(event, team_id=TEAM_ID, api_app_id=local.slack.app_id)


def _mimetype(name: str) -> str:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _MIMETYPES.get(extension, "application/octet-stream")
