"""`/gencove list [status]` and its Previous / Next buttons: private pages of Gencove's
list, for inviters."""

from __future__ import annotations

import re

from invite_bot.domain.command.types import ListInvitations
from invite_bot.features.listing.blocks import LIST_PAGE
from invite_bot.features.listing.pages import Pages
from invite_bot.slack.guard import Reply, Turn, later, then
from invite_bot.slack.people import Inviters, require_inviter
from invite_bot.slack.router import Router
from invite_bot.slack.trust import parse_page_value


def register(router: Router, pages: Pages, inviters: Inviters) -> None:
    async def first_page(command: ListInvitations, turn: Turn) -> None:
        if await require_inviter(inviters, turn):
            await turn.reply(await pages.page(command.status, 0))

    async def another_page(turn: Turn) -> None:
        if not await require_inviter(inviters, turn):
            return
        shown = parse_page_value(str(turn.payload.get("value") or ""))
        await turn.reply(await pages.page(shown.status, shown.offset), replace=True)

    def listed(command: ListInvitations, turn: Turn) -> Reply:
        return then(lambda: first_page(command, turn))

    router.subcommand(ListInvitations, listed, name="list")
    router.action(re.compile(f"^{LIST_PAGE}"), later(another_page), name="list_page")
