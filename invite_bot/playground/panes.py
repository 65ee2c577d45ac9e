"""The page's panes as HTML fragments: channels, the conversation (each thread folded
under its message, as Slack's "N replies"), the open modal, the Gencove sandbox and the
traffic inspector. Pure functions of what they are given.

Every string that came from the bot, from Gencove or from a person is escaped: Block Kit
through `render`, everything else through `html.escape`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from invite_bot.playground.conversations import Delivery, Entry
from invite_bot.playground.gencove import FakeInvitation, RecordedRequest
from invite_bot.playground.render import render_blocks, render_view
from invite_bot.playground.shared_files import file_card
from invite_bot.playground.slack import Call
from invite_bot.playground.world import BOT_USER_ID, CHANNELS, PEOPLE, Person

BOT_NAME = "Gencove Invites"
TRAFFIC_SHOWN = 120
_TOKEN_IN_PATH = re.compile(r"(/invitations-token/)([^/?]{4})[^/?]*")


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
        f'<div class="sidebar-you">You are <b>{e(viewer.real_name)}</b> (@{e(viewer.name)})</div>'
    )


def conversation(
    entries: Sequence[Entry], viewer: Person, known: Mapping[str, str] | None = None
) -> str:
    """The conversation's entries; `known` is `names()` (ids to the names mentions show)."""
    if not entries:
        return '<div class="empty">Nothing here yet. Type <code>/gencove help</code> below.</div>'
    who = names() if known is None else known
    shown, replies = threads(entries)
    return "".join(
        _entry(entry, viewer, who) + _thread(entry, replies.get(entry.ts or ""), viewer, who)
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
    parent: Entry, replies: Sequence[Entry] | None, viewer: Person, who: Mapping[str, str]
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
        + "".join(_entry(reply, viewer, who) for reply in replies)
        + "</div></details>"
    )


def _author(entry: Entry) -> tuple[str, str]:
    """Who a message is from as Slack shows it, and the APP badge an app's message has."""
    if entry.kind == "slack":
        return "Slackbot", ""
    if entry.author != BOT_USER_ID:
        return next((p.real_name for p in PEOPLE if p.user_id == entry.author), entry.author), ""
    return BOT_NAME, '<span class="app-badge">APP</span>'


def _entry(entry: Entry, viewer: Person, who: Mapping[str, str]) -> str:
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
    body = render_blocks(entry.blocks, names=who, fallback_text=entry.text)
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
    opened: tuple[dict[str, Any], dict[str, str]] | None, known: Mapping[str, str] | None = None
) -> str:
    if opened is None:
        return ""
    view, errors = opened
    general = errors.get("", "")
    banner = f'<div class="modal-problem">{e(general)}</div>' if general else ""
    return (
        f'<div class="overlay" data-view-id="{e(view.get("id", ""))}">{banner}'
        f"{render_view(view, names=names() if known is None else known, errors=errors)}</div>"
    )


@dataclass(frozen=True)
class SandboxView:
    """What the Gencove pane shows."""

    organization: str
    invitations: Sequence[FakeInvitation]
    keys: Mapping[str, str]  # person role -> their personal Gencove API key
    web_app_link: str  # where an invitation token would be opened, e.g. for /gencove accept


def gencove_pane(sandbox: SandboxView) -> str:
    rows = "".join(_invitation_row(inv, sandbox.web_app_link) for inv in sandbox.invitations)
    people = "".join(
        f"<li><b>{e(p.real_name)}</b> &lt;{e(p.email)}&gt;: personal key "
        f'<code class="secret" data-key-for="{e(p.role)}">{e(sandbox.keys.get(p.role, "—"))}</code>'
        "</li>"
        for p in PEOPLE
    )
    return (
        f'<div class="pane-title">Gencove sandbox · {e(sandbox.organization)}</div>'
        f'<ul class="people">{people}</ul>'
        '<p class="hint">What Gencove\'s web app could do. The bot hears of it at its next '
        "poll, or now:</p>"
        '<button type="button" class="tool" data-gencove="poll">Poll now</button>'
        '<form class="create" data-gencove="create">'
        '<input name="email" placeholder="someone@lab.org" aria-label="email">'
        '<select name="role" aria-label="role"><option>member</option><option>admin</option>'
        "<option>viewer</option></select>"
        '<button type="submit" class="tool">Invite outside Slack</button></form>'
        '<table class="invitations"><thead><tr><th>email</th><th>role</th><th>status</th>'
        f"<th></th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _invitation_row(inv: FakeInvitation, web_app_link: str) -> str:
    status = inv.status_changes[-1].status
    actions = ""
    if status == "pending":
        link = f"{web_app_link}{inv.token}"
        actions = (
            f'<button type="button" class="tool" data-gencove="accept" data-id="{inv.id}">'
            "accept</button>"
            f'<button type="button" class="tool" data-gencove="revoke" data-id="{inv.id}">'
            "revoke</button>"
            f'<button type="button" class="tool" data-gencove="expire" data-id="{inv.id}">'
            "expire now</button>"
            f'<button type="button" class="tool" data-gencove="expire-soon" data-id="{inv.id}"'
            ' title="expires within the hour: the next poll sends its reminder">'
            "expire soon</button>"
            f'<button type="button" class="tool" data-fill="/gencove accept {e(link)}"'
            ' title="puts /gencove accept with this invitation\'s link in the composer">'
            "link → composer</button>"
        )
    return (
        f'<tr data-invitation="{inv.id}" data-email="{e(inv.email)}">'
        f"<td>{e(inv.email)}</td><td>{e(inv.role)}</td>"
        f'<td><span class="status status-{e(status)}">{e(status)}</span></td>'
        f"<td>{actions}</td></tr>"
    )


@dataclass(frozen=True)
class Traffic:
    time: float  # wall-clock seconds
    where: str  # "→ bot" | "Slack API" | "Gencove"
    what: str
    status: str
    seconds: float | None


def traffic(
    deliveries: Iterable[Delivery],
    slack_calls: Iterable[Call],
    gencove_requests: Iterable[RecordedRequest],
    clock_offset: float,
) -> list[Traffic]:
    """The newest exchanges, newest first; no secret in any of them."""
    rows = [
        Traffic(d.time, "→ bot", f"{d.kind}: {d.summary}", str(d.status or "no answer"), d.seconds)
        for d in deliveries
    ]
    rows += [_slack_row(call, clock_offset) for call in slack_calls]
    rows += [
        Traffic(
            r.received.timestamp(),
            "Gencove",
            f"{r.method} {mask(r.path)}" + (f"?{_query(r.query)}" if r.query else ""),
            str(r.status) if r.status is not None else "no answer",
            r.seconds,
        )
        for r in gencove_requests
    ]
    return sorted(rows, key=lambda row: row.time, reverse=True)[:TRAFFIC_SHOWN]


def _slack_row(call: Call, clock_offset: float) -> Traffic:
    answer = call.response or {}
    outcome = "ok" if call.ok else str(answer.get("error") or call.status)
    where = call.args.get("channel") if isinstance(call.args, dict) else None
    what = call.method + (f" {where}" if isinstance(where, str) else "")
    return Traffic(call.time + clock_offset, "Slack API", what, outcome, None)


def mask(path: str) -> str:
    """An invitation token in a path is a secret: keep only its first characters."""
    return _TOKEN_IN_PATH.sub(r"\1\2…", path)


def _query(query: Mapping[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in query.items())


def traffic_pane(rows: Sequence[Traffic]) -> str:
    body = "".join(
        f'<tr class="where-{e(row.where.split()[-1].lower())}">'
        f"<td>{datetime.fromtimestamp(row.time, UTC).strftime('%H:%M:%S.%f')[:-3]}</td>"
        f"<td>{e(row.where)}</td><td>{e(row.what)}</td><td>{e(row.status)}</td>"
        f"<td>{'' if row.seconds is None else f'{row.seconds * 1000:.0f} ms'}</td></tr>"
        for row in rows
    )
    return (
        '<div class="pane-title">Traffic <span class="hint">newest first; tokens and keys '
        "never shown</span></div>"
        '<table class="traffic"><thead><tr><th>time (UTC)</th><th>where</th><th>what</th>'
        f"<th>status</th><th>took</th></tr></thead><tbody>{body}</tbody></table>"
    )
