"""`/gencove help`, anything unknown, and a subcommand used wrongly: answered in the ack."""

from __future__ import annotations

from invite_bot.domain.command.help import help_text, usage_message
from invite_bot.domain.command.types import Help, Usage
from invite_bot.slack.guard import Reply, Turn, answer
from invite_bot.slack.router import Router


def register(router: Router) -> None:
    def helped(command: Help, turn: Turn) -> Reply:
        return answer(response_type="ephemeral", text=help_text(command.unknown_word))

    def misused(command: Usage, turn: Turn) -> Reply:
        # Counted as the subcommand that was used wrongly.
        reply = answer(response_type="ephemeral", text=usage_message(command))
        return Reply(ack=reply.ack, name=command.subcommand)

    router.subcommand(Help, helped, name="help")
    router.subcommand(Usage, misused, name="help")
