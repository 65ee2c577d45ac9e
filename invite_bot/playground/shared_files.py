"""A file shared in a conversation, as the page shows it and serves it.

Slack shows a shared file as a card under its message (the comment it was shared with):
its title, its name and type, its size and who shared it, and a preview. Here a CSV also
says how many rows it has and previews its first ones as a table, so the bulk invite's
report (uploaded by the bot into the progress message's thread) can be read on the page.

The page cannot link to the local Slack's `url_private`: like Slack's, it serves a file
only with the bot token, which a browser must never hold. So the playground serves the
bytes itself (`FILES_ROUTE`), to someone who can see a conversation the file is in, as
Slack shows "Open" and "Download": open as plain text (a browser shows it instead of
saving it), download with the file's own type and name. Never as anything a browser
would run: a person's file may say it is HTML.

Pure functions: every string from a file (name, title, cells) is escaped.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from invite_bot.playground.slack_files import SlackFile
from invite_bot.playground.world import CHANNELS, Person

FILES_ROUTE = "/playground/files/{file_id}/{name}"
PREVIEW_ROWS = 10  # rows of a CSV shown under its card (the header besides)
PREVIEW_CHARS = 80  # of one cell
_DELIMITERS = {"csv": ",", "tsv": "\t"}
_TEXT_TYPES = frozenset({"csv", "tsv", "text", "txt"})
_DOWNLOAD_TYPES = frozenset({"text/csv", "text/plain", "text/tab-separated-values"})
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._ -]")


def e(text: object) -> str:
    return html.escape(str(text), quote=True)


# -- who may open it, and where ---------------------------------------------------------


def may_see(found: SlackFile, viewer: Person) -> bool:
    """Whether `viewer` sees a conversation `found` is shared in: a channel of the
    workspace, or their own DM with the bot (never someone else's)."""
    if not found.shown_in_channels:
        return False
    channels = {known.channel_id for known in CHANNELS} | {viewer.dm_channel}
    return any(channel in channels for channel in found.channels)


def file_url(found: SlackFile, viewer: Person, *, download: bool = False) -> str:
    """The playground's link to the file's bytes, for `viewer` (as the page acts)."""
    path = FILES_ROUTE.format(file_id=quote(found.id, safe=""), name=quote(found.name, safe=""))
    query = {"user": viewer.role, **({"download": "1"} if download else {})}
    return f"{path}?{urlencode(query)}"


# -- what is served ---------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """The response to a request for a file's bytes."""

    body: bytes
    headers: dict[str, str]


def served(found: SlackFile, *, download: bool) -> Served:
    """The file's bytes, as-is, with headers that never let a browser run them."""
    body = found.content or b""
    text = is_text(found)
    if not text:
        kind, disposition = "application/octet-stream", "attachment"
    elif download:
        kind = found.mimetype if found.mimetype in _DOWNLOAD_TYPES else "text/plain"
        disposition = "attachment"
    else:
        kind, disposition = "text/plain", "inline"
    if text and _is_utf8(body):
        kind += "; charset=utf-8"
    return Served(
        body,
        {
            "Content-Type": kind,
            "Content-Disposition": content_disposition(disposition, found.name),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "no-store",
        },
    )


def content_disposition(disposition: str, name: str) -> str:
    """`attachment`/`inline` with the file's name: ASCII for old clients, UTF-8 (RFC 6266)
    for the rest. No quote or line break of the name can reach the header."""
    fallback = _UNSAFE_IN_NAME.sub("_", name).strip() or "file"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def is_text(found: SlackFile) -> bool:
    return found.filetype in _TEXT_TYPES or found.mimetype.startswith("text/")


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# -- what the page shows ----------------------------------------------------------------


def table_rows(found: SlackFile) -> list[list[str]] | None:
    """A CSV's (or TSV's) rows, header first; None for any other file."""
    delimiter = _DELIMITERS.get(found.filetype)
    if delimiter is None or found.content is None:
        return None
    text = found.content.decode("utf-8-sig", errors="replace")
    return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if row]


def size_label(length: int) -> str:
    """A size as Slack writes it: 940 B, 3 KB, 1.2 MB."""
    if length < 1024:
        return f"{length} B"
    if length < 1024 * 1024:
        return f"{round(length / 1024)} KB"
    return f"{length / (1024 * 1024):.1f} MB"


def rows_label(rows: Sequence[Sequence[str]]) -> str:
    """How many rows a table has after its header."""
    count = max(len(rows) - 1, 0)
    return f"{count:,} row" + ("" if count == 1 else "s")


def file_card(found: SlackFile, viewer: Person, shared_by: str) -> str:
    """The file under its message: icon, title, facts, Open and Download, a preview."""
    rows = table_rows(found)
    facts = [found.name, found.filetype.upper(), size_label(found.length)]
    if rows is not None:
        facts.append(rows_label(rows))
    facts.append(f"shared by {shared_by}")
    meta = " · ".join(f'<span class="file-fact">{e(fact)}</span>' for fact in facts)
    opened = e(file_url(found, viewer))
    saved = e(file_url(found, viewer, download=True))
    return (
        f'<div class="file-card" data-file-id="{e(found.id)}" data-file-name="{e(found.name)}">'
        f'<span class="file-icon" aria-hidden="true">{e(found.filetype.upper()[:4])}</span>'
        f'<div class="file-info"><div class="file-title">{e(found.title)}</div>'
        f'<div class="file-meta">{meta}</div></div>'
        '<div class="file-actions">'
        f'<a class="tool file-open" href="{opened}" target="_blank" rel="noopener">Open</a>'
        f'<a class="tool file-download" href="{saved}" download="{e(found.name)}">Download</a>'
        "</div></div>" + (_preview(found, rows) if rows else "")
    )


def _preview(found: SlackFile, rows: Sequence[Sequence[str]]) -> str:
    """The header and first rows, in a fold the page keeps open across its redraws."""
    header, *body = rows
    shown = body[:PREVIEW_ROWS]
    more = len(body) - len(shown)
    head = "".join(f"<th>{_cell(cell)}</th>" for cell in header)
    lines = "".join(
        "<tr>" + "".join(f"<td>{_cell(cell)}</td>" for cell in row) + "</tr>" for row in shown
    )
    rest = f'<div class="hint">… and {more:,} more in the file</div>' if more > 0 else ""
    return (
        f'<details class="file-preview" data-open-key="file:{e(found.id)}">'
        f"<summary>Preview</summary>"
        f'<table class="file-table"><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table>'
        f"{rest}</details>"
    )


def _cell(cell: str) -> str:
    return e(cell if len(cell) <= PREVIEW_CHARS else cell[: PREVIEW_CHARS - 1] + "…")
