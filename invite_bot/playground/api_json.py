"""The JSON the control API answers with: a message as a person sees it (its buttons, its
file), and a row of the Gencove sandbox. See page.py for the routes."""

from __future__ import annotations

from typing import Any

from invite_bot.playground import shared_files
from invite_bot.playground.entries import Entry
from invite_bot.playground.gencove import FakeInvitation
from invite_bot.playground.slack_files import SlackFile
from invite_bot.playground.world import Person

WEB_APP_LINK = "https://web.gencove.com/invitation/"  # how a link looks; only its token is used


def message_json(entry: Entry, viewer: Person) -> dict[str, Any]:
    return {
        "ts": entry.ts or entry.id,
        "kind": entry.kind,
        "from": entry.author,
        "only_visible_to": entry.visible_to,
        "text": entry.text,
        "blocks": entry.blocks,
        "buttons": buttons(entry.blocks),
        "edited": entry.edited,
        "thread_ts": entry.thread_ts,
        "file": None if entry.file is None else file_json(entry.file, viewer),
    }


def file_json(found: SlackFile, viewer: Person) -> dict[str, Any]:
    """A shared file as `messages` lists it; `url` and `download_url` are the page's."""
    rows = shared_files.table_rows(found)
    return {
        "id": found.id,
        "name": found.name,
        "title": found.title,
        "filetype": found.filetype,
        "size": found.length,
        "rows": None if rows is None else max(len(rows) - 1, 0),
        "url": shared_files.file_url(found, viewer),
        "download_url": shared_files.file_url(found, viewer, download=True),
    }


def buttons(blocks: list[Any] | None) -> list[dict[str, Any]]:
    found = []
    for block in blocks or []:
        for element in [*block.get("elements", []), block.get("accessory")]:
            if isinstance(element, dict) and element.get("type") == "button":
                found.append(
                    {
                        "action_id": element.get("action_id"),
                        "block_id": block.get("block_id"),
                        "value": element.get("value"),
                        "text": (element.get("text") or {}).get("text"),
                        "style": element.get("style"),
                    }
                )
    return found


def invitation_json(invitation: FakeInvitation) -> dict[str, Any]:
    """A row of the Gencove pane; `link` is the invitation link its invitee would get."""
    return {
        "id": str(invitation.id),
        "email": invitation.email,
        "role": invitation.role,
        "status": invitation.status_changes[-1].status,
        "created": invitation.created.isoformat(),
        "expires": invitation.expires.isoformat(),
        "link": WEB_APP_LINK + invitation.token,
    }
