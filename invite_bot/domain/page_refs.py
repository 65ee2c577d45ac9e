"""Which page of `/gencove list` a button asks for: the value written into a Previous,
Next or list-row button, and read back (anything else is out of date)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from invite_bot.domain.command.types import STATUSES, Status

# The furthest `/gencove list` page a button may ask for: far past any organization's
# invitations, and small enough for Gencove.
MAX_OFFSET = 100_000


@dataclass(frozen=True)
class PageRef:
    """A `/gencove list` page a button asks for."""

    status: Status
    offset: int


def list_page(value: object) -> PageRef | None:
    """The page a Previous/Next (or a list's Revoke) button names; None when it is not one
    the bot could have written: the caller says the button is out of date."""
    if not isinstance(value, str) or len(value) > 200:
        return None
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    status, offset = data.get("status"), data.get("offset")
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET:
        return None
    known = next((s for s in STATUSES if s == status), None)
    return PageRef(known, offset) if known is not None else None


def page_value(status: str, offset: int) -> str:
    """The button value `list_page` reads back."""
    return json.dumps({"status": status, "offset": offset}, separators=(",", ":"))
