"""The page's panes as HTML fragments: channels, the conversation (each thread folded
under its message, as Slack's "N replies") and the open modal; the Gencove sandbox and the
traffic inspector are `side_panes`. Pure functions of what they are given.

Every string that came from the bot, from Gencove or from a person is escaped: Block Kit
through `render`, everything else through `html.escape`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from invite_bot.playground.conversations import Entry
from invite_bot.playground.render import render_blocks, render_view
from invite_bot.playground.shared_files import file_card
from invite_bot.playground.world import BOT_USER_ID, CHANNELS, PEOPLE, Person

BOT_NAME = "Gencove Invites"


def e(text: object) -> str:
    return html.escape(str(text), quote=True)


def names(channels: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, str]:
    """Slack user ids to the names a mention shows, and `#` + the id of each of `channels`
    (the local Slack's: id to what conversations.info says of it) to the name `<#C…>`
    shows."""
    return {
        **{p.user_id: p.name for p in PEOPLE},
        BOT_USER_ID: "gencove-invites",
        "USLACKBOT": "Slackbot",
        **{"#" + key: str(info.get("name") or key) for key, info in (channels or {}).items()},
    }


def sidebar(viewer: Person, current: str) -> str:
    def item(key: str, label: str, note: str = "") -> str:
        active = " active" if key == current else ""
        return (
            f'<li><a href="#" class="channel{active}" data-channel="{e(key)}">'
            f"{e(label)}{note}</a></li>"
        )

    channels = "".join(
        item(
            c.key,
            ("🔒 " if c.is_private else "# ") + c.name,
            "" if c.bot_is_member else ' <span class="hint">(bot not in it)</span>',
        )
        for c in CHANNELS
    )
    return (
        '<div class="sidebar-section">Channels</div>'
        f'<ul class="channels">{channels}</ul>'
        '<div class="sidebar-section">Direct messages</div>'
        f'<ul class="channels">{item("dm", "gencove-invites")}</ul>'
        # the app's Home tab (static/home.js draws it)
        '<div class="sidebar-section">Apps</div>'
        '<ul class="channels"><li><a href="#" class="home-tab">🏠 Home</a></li></ul>'
        f'<div class="sidebar-you">You are <b>{e(viewer.real_name)}</b> (@{e(viewer.name)})</div>'
    )


def conversation(
    entries: Sequence[Entry],
    viewer: Person,
    known: Mapping[str, str] | None = None,
    *,
    now: datetime | None = None,
) -> str:
    """The conversation's entries; `known` is `names()` (ids to the names mentions show);
    `now` makes dates read as Slack shows them ("today at 5:35 PM")."""
    if not entries:
        return '<div class="empty">Nothing here yet. Type <code>/gencove help</code> below.</div>'
    who = names() if known is None else known
    shown, replies = threads(entries)
    return "".join(
        _entry(entry, viewer, who, now)
        + _thread(entry, replies.get(entry.ts or ""), viewer, who, now)
        for entry in shown
    )


def threads(entries: Sequence[Entry]) -> tuple[list[Entry], dict[str, list[Entry]]]:
    """What shows in the channel itself, and the replies in each message's thread (by the
    message's ts), both oldest first. A reply whose message is not there (deleted) shows
    in the channel rather than nowhere."""
    parents = {entry.ts for entry in entries if entry.ts}
    shown: list[Entry] = []
    replies: dict[str, list[Entry]] = {}
    for entry in entries:
        parent = entry.thread_ts
        if parent and parent != entry.ts and parent in parents:
            replies.setdefault(parent, []).append(entry)
        else:
            shown.append(entry)
    return shown, replies


def _thread(
    parent: Entry,
    replies: Sequence[Entry] | None,
    viewer: Person,
    who: Mapping[str, str],
    now: datetime | None = None,
) -> str:
    """The "N replies" line under a message, opening onto its thread."""
    if not replies:
        return ""
    count = f"{len(replies)} repl" + ("y" if len(replies) == 1 else "ies")
    last = datetime.fromtimestamp(replies[-1].time, UTC).strftime("%H:%M:%S")
    return (
        f'<details class="thread" data-thread-of="{e(parent.id)}"'
        f' data-open-key="thread:{e(parent.channel)}:{e(parent.ts or "")}">'
        f'<summary class="thread-summary"><span class="thread-count">{count}</span>'
        f'<span class="thread-last">Last reply {last}</span></summary>'
        '<div class="thread-replies">'
        + "".join(_entry(reply, viewer, who, now) for reply in replies)
        + "</div></details>"
    )


def _author(entry: Entry) -> tuple[str, str]:
    """Who a message is from as Slack shows it, and the APP badge an app's message has."""
    if entry.kind == "slack":
        return "Slackbot", ""
    if entry.author != BOT_USER_ID:
        return next((p.real_name for p in PEOPLE if p.user_id == entry.author), entry.author), ""
    return BOT_NAME, '<span class="app-badge">APP</span>'


def _entry(
    entry: Entry, viewer: Person, who: Mapping[str, str], now: datetime | None = None
) -> str:
    private = entry.visible_to is not None
    if entry.kind == "command":
        return (
            f'<div class="entry command" data-entry="{e(entry.id)}">'
            f'<span class="author">{e(viewer.real_name)}</span> '
            f"<code>{e(entry.text or '')}</code> "
            '<span class="only-you">only you see what you typed</span></div>'
        )
    author, badge = _author(entry)
    stamp = datetime.fromtimestamp(entry.time, UTC).strftime("%H:%M:%S")
    classes = "entry" + (" ephemeral" if private else "")
    note = '<div class="only-you">👁 Only visible to you</div>' if private else ""
    edited = ' <span class="edited">(edited)</span>' if entry.edited else ""
    body = render_blocks(entry.blocks, names=who, fallback_text=entry.text, now=now)
    if entry.file is not None:
        classes += " file-share"
        body += file_card(entry.file, viewer, author)
    ts = f' data-ts="{e(entry.ts)}"' if entry.ts else ""
    if any(p.user_id == entry.author for p in PEOPLE):  # a person's own message
        ts += f' data-person="{e(entry.author)}"'
    return (
        f'<div class="{classes}" data-entry="{e(entry.id)}"{ts} data-surface="message">'
        f"{note}"
        f'<div class="meta"><span class="author">{e(author)}</span>{badge}'
        f'<span class="time">{stamp}</span>{edited}</div>'
        f'<div class="body">{body}</div></div>'
    )


def modal(
    opened: tuple[dict[str, Any], dict[str, str]] | None,
    known: Mapping[str, str] | None = None,
    *,
    now: datetime | None = None,
) -> str:
    if opened is None:
        return ""
    view, errors = opened
    general = errors.get("", "")
    banner = f'<div class="modal-problem">{e(general)}</div>' if general else ""
    return (
        f'<div class="overlay" data-view-id="{e(view.get("id", ""))}">{banner}'
        f"{render_view(view, names=names() if known is None else known, errors=errors, now=now)}"
        "</div>"
    )
