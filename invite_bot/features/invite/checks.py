"""TODO docstring."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from invite_bot.bot import Bot
from invite_bot.config.settings import Settings
from invite_bot.domain.addresses import AddressParse, parse_addresses
from invite_bot.domain.policy import Refused, check_addresses, check_rate
from invite_bot.jobs.engine import start_invite
from invite_bot.store import (
    NewInviteJob,
)


def read_addresses(settings: Settings, text: str) -> tuple[AddressParse, Refused | None]:
    """The addresses typed (in the command or the modal) and, if any is wrong, why."""
    parsed = parse_addresses(
        text, max_count=settings.invite_max_per_command, allowed_domains=settings.allowed_domains
    )
    refusal = check_addresses(
        parsed,
        max_count=settings.invite_max_per_command,
        allowed_domains=settings.allowed_domains,
    )
    return parsed, refusal


async def invite_if_allowed(
    bot: Bot, job: NewInviteJob, *, tell: Callable[[str], Awaitable[object]]
) -> None:
    """Check the inviter and their rate limit, then invite; a refusal goes to `tell`."""
    user_id, count = job.slack_user_id, len(job.addresses)
    decision = await bot.inviters.check(user_id)
    if isinstance(decision, Refused):
        await tell(decision.message)
        return
    allowance = bot.limiter.allow(user_id, count, time.monotonic())
    limited = check_rate(allowance, rate=bot.limiter.rate, requested=count)
    if limited is not None:
        await tell(limited.message)
        return
    await start_invite(bot, job)
