"""The sentences more than one listener says to the user."""

from __future__ import annotations

from invite_bot.domain.text import escape_mrkdwn
from invite_bot.gencove import GencoveError
from invite_bot.store import StoreUnavailable

SOMETHING_BROKE = (
    "Something went wrong on the bot's side and your request was not finished. "
    "Try again; if it keeps failing, ask whoever runs the bot to look at its logs."
)
CANNOT_SAVE = (
    "The bot cannot save right now (its database is unavailable); nothing was changed. "
    "Try again in a few minutes."
)
SAVED_NOTHING_BUT = (
    "The bot's database became unavailable after Gencove had acted, so this was done but "
    "not recorded: {done}. Do not repeat it: `/gencove list` shows what Gencove has. The "
    "bot's message about it may be missing or out of date until its database is back."
)
INCOMPLETE = (
    "Slack's request came without its {missing}, so the bot did nothing with it. Try again."
)


def store_unavailable(exc: StoreUnavailable) -> str:
    """The database failed: nothing changed, or (`took_effect`) what did all the same."""
    if not exc.took_effect:
        return CANNOT_SAVE
    return SAVED_NOTHING_BUT.format(done="; ".join(escape_mrkdwn(d) for d in exc.took_effect))


def gencove_failed(exc: GencoveError) -> str:
    return f":warning: Gencove said: {escape_mrkdwn(exc.message)}"


