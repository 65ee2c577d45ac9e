"""`/gencove audit [--since 30d]`, for inviters: the CSV goes to their DM, a note here."""

from __future__ import annotations

from invite_bot.domain.command.types import Audit
from invite_bot.features.audit.exporting import AuditExport
from invite_bot.slack.guard import Reply, Turn, then
from invite_bot.slack.people import Inviters, require_inviter
from invite_bot.slack.router import Router


def register(router: Router, exporting: AuditExport, inviters: Inviters) -> None:
    async def export(command: Audit, turn: Turn) -> None:
        if await require_inviter(inviters, turn):
            await turn.reply(await exporting.export(turn.request.user, command.since))

    def asked(command: Audit, turn: Turn) -> Reply:
        return then(lambda: export(command, turn))

    router.subcommand(Audit, asked, name="audit")
