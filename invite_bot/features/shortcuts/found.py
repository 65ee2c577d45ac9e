"""The addresses a Slack message holds, as its text arrives (pure: no I/O).

The text is decoded and split as a typed command is (`decode_slack_text`, `split_tokens`),
so `<mailto:ana@lab.org|ana@lab.org>` gives ana@lab.org. Words that are no address are
skipped: a message is prose, not a list. A misleading link (its label names another
address than it goes to) is kept as written, so the form's own check refuses it there,
saying why, instead of the form quietly showing either address.
"""

from __future__ import annotations

from invite_bot.domain.addresses import normalize_address, parse_addresses, split_tokens
from invite_bot.domain.command.grammar import decode_slack_text

MAX_FOUND = 50  # the form's own limit says the rest; a message with more is a list


def addresses_in(text: str) -> list[str]:
    """The addresses in a message's text, first-seen order, each once."""
    found: list[str] = []
    for token in split_tokens(decode_slack_text(text)):
        address = normalize_address(token)
        if address is None:
            continue
        if parse_addresses(token, max_count=1).misleading:
            address = token
        if address not in found:
            found.append(address)
        if len(found) >= MAX_FOUND:
            break
    return found
