"""Gencove's pending invitations by address, each one parsed only when it is asked for.

An invite job reads the whole pending list (its duplicate guard) to look up its own few
addresses among hundreds. Validating every row into an `Invitation` made each job pay
for the whole list (about 5% of a one-address invite's CPU with 150 pending, growing
with the list); here a row is only checked for what indexing needs (an object whose
`email` is a string or null), and the rows looked up are parsed, once.
A row that does not parse fails the lookup of its own address (`GencoveUnreadable`),
not everyone else's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from invite_bot.gencove.errors import NOT_UNDERSTOOD, GencoveUnreadable
from invite_bot.gencove.models import Invitation, parse


class InvitationsByAddress(Mapping[str, Invitation]):
    """Invitations by lower-cased address (the first listed for an address wins).

    Looking one up (`[]`, `get`, and what Mapping builds on them: `values`, `items`, `==`)
    parses it, so it may raise `GencoveUnreadable`; `in`, `len` and iterating keys do not.
    """

    def __contains__(self, email: object) -> bool:
        return email in self._rows

    def __init__(self) -> None:
        self._rows: dict[str, Any] = {}
        self._parsed: dict[str, Invitation] = {}

    def add(self, rows: Iterable[Any]) -> None:
        """A page's rows; one that is not an invitation-shaped object makes the whole
        listing unreadable, as it would have made its page."""
        for row in rows:
            email = row.get("email") if isinstance(row, dict) else 0
            if email is None:
                continue  # an invitation with no address: nobody's lookup can find it
            if not isinstance(email, str):
                raise GencoveUnreadable(NOT_UNDERSTOOD)
            self._rows.setdefault(email.lower(), row)

    def __getitem__(self, email: str) -> Invitation:
        found = self._parsed.get(email)
        if found is None:
            found = self._parsed[email] = parse(Invitation, self._rows[email])
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)
