"""The page's side panes as HTML fragments: the Gencove sandbox (what Gencove's web app
could do, and the "slow Gencove" switch) and the traffic inspector. Pure functions of
what they are given; every string from Gencove, the bot or a person is escaped.

Both stay readable however much happens: each invitation is one line, its changes in one
menu, and the list scrolls inside its own box (a bulk invite adds hundreds); each request
in the traffic table is one line too, no value broken across two (the table scrolls
sideways in its box rather than wrap).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from invite_bot.playground.conversations import Delivery
from invite_bot.playground.gencove import FakeInvitation, RecordedRequest
from invite_bot.playground.slack import Call
from invite_bot.playground.world import PEOPLE

TRAFFIC_SHOWN = 120
_TOKEN_IN_PATH = re.compile(r"(/invitations-token/)([^/?]{4})[^/?]*")
# What the menu of a pending invitation offers: (value, label, what it does).
CHANGES = (
    ("accept", "Accept", "as the invitee would, in Gencove"),
    ("revoke", "Revoke", "as an admin would, in Gencove"),
    ("expire", "Expire now", "its time is up"),
    ("expire-soon", "Expire soon", "within the hour: the next poll sends its reminder"),
    ("fill", "Link → composer", "puts /gencove accept with its link in the composer"),
)


def e(text: object) -> str:
    return html.escape(str(text), quote=True)


@dataclass(frozen=True)
class SandboxView:
    """What the Gencove pane shows."""

    organization: str
    invitations: Sequence[FakeInvitation]
    keys: Mapping[str, str]  # person role -> their personal Gencove API key
    web_app_link: str  # where an invitation token would be opened, e.g. for /gencove accept
    slow: bool = False  # "slow Gencove": each create takes 0.5 to 1 s


def gencove_pane(sandbox: SandboxView) -> str:
    rows = "".join(_invitation_row(inv, sandbox.web_app_link) for inv in sandbox.invitations)
    pending = sum(1 for inv in sandbox.invitations if _status(inv) == "pending")
    people = "".join(
        f"<li><b>{e(p.real_name)}</b> &lt;{e(p.email)}&gt;, personal key:"
        f'<code class="secret" data-key-for="{e(p.role)}">{e(sandbox.keys.get(p.role, "—"))}</code>'
        "</li>"
        for p in PEOPLE
    )
    return (
        f'<div class="pane-title">Gencove sandbox · {e(sandbox.organization)}</div>'
        f'<ul class="people">{people}</ul>'
        '<p class="hint">What Gencove\'s web app could do. The bot hears of it at its next '
        "poll, or now:</p>"
        f'<div class="sandbox-tools">{_tools(sandbox.slow)}</div>'
        '<form class="create" data-gencove="create">'
        '<input name="email" placeholder="someone@lab.org" aria-label="email">'
        '<select name="role" aria-label="role"><option>member</option><option>admin</option>'
        "<option>viewer</option></select>"
        '<button type="submit" class="tool">Invite outside Slack</button></form>'
        f'<div class="invitations-count hint">{len(sandbox.invitations)} invitations · '
        f"{pending} pending</div>"
        '<div class="invitations-box"><table class="invitations"><thead><tr><th>email</th>'
        f"<th>role</th><th>status</th><th></th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


def _tools(slow: bool) -> str:
    checked = " checked" if slow else ""
    what = (
        "each invitation takes Gencove 0.5–1 s: a bulk invite of a few hundred addresses "
        "takes long enough to watch its progress, and to Cancel it"
    )
    return (
        '<button type="button" class="tool" data-gencove="poll">Poll now</button>'
        f'<label class="switch" title="{e(what)}">'
        f'<input type="checkbox" data-gencove="slow"{checked}> Slow Gencove</label>'
        f'<span class="hint slow-note">{"on: " + e(what) if slow else ""}</span>'
    )


def _status(inv: FakeInvitation) -> str:
    return inv.status_changes[-1].status


def _invitation_row(inv: FakeInvitation, web_app_link: str) -> str:
    status = _status(inv)
    menu = ""
    if status == "pending":
        link = f"/gencove accept {web_app_link}{inv.token}"
        options = "".join(
            f'<option value="{value}" title="{e(title)}">{e(label)}</option>'
            for value, label, title in CHANGES
        )
        menu = (
            f'<select class="row-menu" data-gencove="menu" data-id="{inv.id}"'
            f' data-fill="{e(link)}" aria-label="{e("change the invitation of " + inv.email)}">'
            f'<option value="" selected>⋯</option>{options}</select>'
        )
    return (
        f'<tr data-invitation="{inv.id}" data-email="{e(inv.email)}">'
        f'<td class="email" title="{e(inv.email)}">{e(inv.email)}</td><td>{e(inv.role)}</td>'
        f'<td><span class="status status-{e(status)}">{e(status)}</span></td>'
        f'<td class="row-actions">{menu}</td></tr>'
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
    """The table: time, where, status and how long first (short, always in view), then
    what was asked (as long as it is: the box scrolls sideways)."""
    body = "".join(
        f'<tr class="where-{e(row.where.split()[-1].lower())}">'
        f"<td>{datetime.fromtimestamp(row.time, UTC).strftime('%H:%M:%S.%f')[:-3]}</td>"
        f"<td>{e(row.where)}</td><td>{e(row.status)}</td>"
        f"<td>{'' if row.seconds is None else f'{row.seconds * 1000:.0f} ms'}</td>"
        f'<td class="what" title="{e(row.what)}">{e(row.what)}</td></tr>'
        for row in rows
    )
    return (
        '<div class="pane-title">Traffic <span class="hint">newest first; tokens and keys '
        "never shown</span></div>"
        '<div class="traffic-box"><table class="traffic"><thead><tr><th>time (UTC)</th>'
        "<th>where</th><th>status</th><th>took</th><th>what</th></tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )
