"""A bulk invite's input, checked row by row before anything is sent (pure: no I/O).

Two shapes come in: a CSV file (`email[,role]`, header optional, UTF-8 with or without a
BOM, comma- or semicolon-separated) and pasted text (one or more addresses per line, the
way `parse_addresses` reads a command). Each becomes `Row`s: the row (line) number, the
address in normalised form and its role, or the reason the row cannot be invited. The
address rules are those of `invite_bot.domain.addresses` (shape, look-alikes, the
allow-list); a role must be one of the organization's, when those are known.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from invite_bot.domain.addresses import parse_addresses, split_tokens

__all__ = [
    "Check",
    "Row",
    "check_rows",
    "read_csv",
    "read_pasted",
    "typed_text",
]

EMAIL_HEADERS = frozenset({"email", "e-mail", "email address", "e-mail address", "mail", "address"})
ROLE_HEADERS = frozenset({"role", "roles", "gencove role"})
MAX_CELL = 320  # longer than any address: the rest is not read, only named
# A link Slack's client made of what was typed: `<mailto:ana@lab.org|ana@lab.org>`.
_TYPED_LINK = re.compile(r"<mailto:([^<>|]*)\|\1>")
# Slack encodes exactly these three in a message's text.
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITY_TEXT = {"amp": "&", "lt": "<", "gt": ">"}


@dataclass(frozen=True, slots=True)
class Row:
    """One row of the input: `address` (normalised) and `role`, or `problem` saying why it
    cannot be invited. `role` None means the invite's own role (the modal's choice)."""

    number: int  # the line of the file or of the pasted text, from 1
    typed: str  # the address cell as given (for the list of bad rows)
    address: str | None = None
    role: str | None = None
    problem: str | None = None

    @property
    def good(self) -> bool:
        return self.problem is None and self.address is not None


@dataclass(frozen=True, slots=True)
class Check:
    """What a bulk input holds: its good rows, its bad rows and, if the input as a whole
    cannot be used (not UTF-8, empty, too many rows), why."""

    good: tuple[Row, ...]
    bad: tuple[Row, ...]
    refused: str | None = None

    @property
    def roles(self) -> dict[str, str]:
        """The role per address, for the rows that name one."""
        return {row.address: row.role for row in self.good if row.address and row.role}

    @property
    def addresses(self) -> list[str]:
        return [row.address for row in self.good if row.address]


def _decode(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _delimiter(text: str) -> str:
    """Comma or semicolon: whichever the first non-empty line has more of."""
    for line in io.StringIO(text):
        if line.strip():
            return ";" if line.count(";") > line.count(",") else ","
    return ","


def _header_columns(cells: Sequence[str]) -> tuple[int, int | None] | None:
    """(email column, role column) if `cells` is a header row, else None."""
    names = [cell.strip().lower() for cell in cells]
    email = next((i for i, name in enumerate(names) if name in EMAIL_HEADERS), None)
    if email is None:
        return None
    role = next((i for i, name in enumerate(names) if name in ROLE_HEADERS), None)
    return email, role


def read_csv(data: bytes, *, max_rows: int | None = None) -> tuple[list[Row], str | None]:
    """The rows of a CSV file (unchecked: see `check_rows`), or why it cannot be read.
    Reading stops past `max_rows` rows: a longer file is refused as soon as that is known,
    whatever its size."""
    text = _decode(data)
    if text is None:
        return [], 'The file is not UTF-8 text: save it as "CSV UTF-8" and try again.'
    if "\x00" in text:
        return [], "The file is not a CSV text file."
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[Row] = []
    email_at, role_at = 0, 1
    first, width = True, 2  # the columns a row may have: a header's, else email and role
    try:
        for cells in reader:
            number = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if first:
                first = False
                header = _header_columns(cells)
                if header is not None:
                    width = len(cells)
                    email_at, role_at = header[0], header[1] if header[1] is not None else -1
                    continue
            rows.append(_csv_row(number, cells, email_at, role_at, width))
            if max_rows is not None and len(rows) > max_rows:
                return [], (
                    f"It has more than {max_rows:,} rows, and one bulk invite takes at most "
                    f"{max_rows:,}. Split it and send it in parts."
                )
    except csv.Error as exc:
        line = reader.line_num
        return rows, f"The file is not a CSV file this bot can read (line {line}: {exc})."
    return rows, None


def _csv_row(number: int, cells: Sequence[str], email_at: int, role_at: int, width: int) -> Row:
    cells = [cell.strip() for cell in cells]
    typed = cells[email_at] if email_at < len(cells) else ""
    role = cells[role_at] if 0 <= role_at < len(cells) else ""
    if any(cells[width:]):
        # A column no header names (or a third without a header) is a mistake, not a note.
        what = "the header names" if width != 2 or email_at or role_at != 1 else "email and role"
        return Row(number, typed[:MAX_CELL], problem=f"more columns than {what}")
    return Row(number, typed[:MAX_CELL], role=role or None)


def typed_text(text: str) -> str:
    """A message's text (Slack's mrkdwn) as its author typed it: the links Slack's client
    made of typed addresses become those addresses again, and `&amp;`, `&lt;`, `&gt;` the
    characters. A link whose label names another address than it goes to stays a link
    (`parse_addresses` refuses it as misleading)."""
    unlinked = _TYPED_LINK.sub(lambda m: m.group(1), text)
    return _ENTITY.sub(lambda m: _ENTITY_TEXT[m.group(1)], unlinked)


def read_pasted(text: str) -> list[Row]:
    """The addresses of pasted text, one row per address, numbered by their line."""
    rows: list[Row] = []
    for number, line in enumerate(text.splitlines(), start=1):
        for token in split_tokens(line):
            rows.append(Row(number, token[:MAX_CELL]))
    return rows


def check_rows(
    rows: Iterable[Row],
    *,
    max_count: int,
    allowed_domains: frozenset[str] = frozenset(),
    roles: Sequence[str] | None = None,
) -> Check:
    """Every row checked: its address (shape, look-alike, allow-list), its role (one of
    `roles`, when known; matched without regard to case), and that no address comes twice.
    More than `max_count` good rows refuses the whole input."""
    by_name = {role.lower(): role for role in roles} if roles is not None else None
    first_row: dict[str, int] = {}
    good: list[Row] = []
    bad: list[Row] = []
    for row in rows:
        checked = row if row.problem else _check_row(row, allowed_domains, by_name)
        address = checked.address
        if checked.good and address is not None:
            earlier = first_row.get(address)
            if earlier is not None:
                checked = Row(row.number, row.typed, problem=f"the same address as row {earlier}")
            else:
                first_row[address] = row.number
        (good if checked.good else bad).append(checked)
    refused = None
    if not good and not bad:
        refused = "There are no addresses in it."
    elif len(good) > max_count:
        refused = (
            f"That is {len(good):,} addresses and one bulk invite takes at most "
            f"{max_count:,}. Split the list and send it in parts."
        )
    return Check(good=tuple(good), bad=tuple(bad), refused=refused)


def _check_row(row: Row, allowed: frozenset[str], roles: dict[str, str] | None) -> Row:
    if not row.typed:
        return Row(row.number, row.typed, problem="no address")
    parsed = parse_addresses(row.typed, max_count=1, allowed_domains=allowed)
    if parsed.count > 1:
        addresses = len(parsed.addresses) + len(parsed.disallowed) + len(parsed.misleading)
        problem = "more than one address in one cell" if addresses > 1 else "not an email address"
        return Row(row.number, row.typed, problem=problem)
    if parsed.misleading:
        return Row(
            row.number,
            row.typed,
            problem=f"{parsed.misleading[0]} may not be what it looks like (mixed alphabets "
            "or a link to another address)",
        )
    if parsed.disallowed:
        return Row(row.number, row.typed, problem="its domain is not one this bot may invite")
    if not parsed.addresses:
        return Row(row.number, row.typed, problem="not an email address")
    address = parsed.addresses[0]
    role = row.role
    if role is not None and roles is not None:
        known = roles.get(role.lower())
        if known is None:
            return Row(row.number, row.typed, problem=f"{role!r} is not a role of the organization")
        role = known
    return Row(row.number, row.typed, address=address, role=role)
