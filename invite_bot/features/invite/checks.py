"""Before anything is sent: the addresses typed, the inviter, and the inviter's rate."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from invite_bot.config.settings import Settings
from invite_bot.domain.addresses import AddressParse, parse_addresses
from invite_bot.domain.policy import Refused, check_addresses, check_rate
from invite_bot.domain.ratelimit import SlidingWindow
from invite_bot.jobs.engine import Jobs
from invite_bot.slack.people import Inviters
from invite_bot.store import NewInviteJob


class Inviting:
    """The checks every invite goes through, then the job that makes it."""

    def __init__(
        self, settings: Settings, inviters: Inviters, limiter: SlidingWindow, jobs: Jobs
    ) -> None:
        self.settings, self.inviters, self.limiter, self.jobs = settings, inviters, limiter, jobs

    def read_addresses(self, text: str) -> tuple[AddressParse, Refused | None]:
        """The addresses typed (in the command or the modal) and, if any is wrong, why."""
        limit, domains = self.settings.invite_max_per_command, self.settings.allowed_domains
        parsed = parse_addresses(text, max_count=limit, allowed_domains=domains)
        return parsed, check_addresses(parsed, max_count=limit, allowed_domains=domains)

    def over_rate(self, user_id: str, count: int) -> Refused | None:
        """Count `count` invitations against the user's INVITE_RATE_LIMIT; why not, if not."""
        allowance = self.limiter.allow(user_id, count, time.monotonic())
        return check_rate(allowance, rate=self.limiter.rate, requested=count)

    async def invite_if_allowed(
        self, job: NewInviteJob, *, tell: Callable[[str], Awaitable[object]]
    ) -> None:
        """Check the inviter and their rate limit, then invite; a refusal goes to `tell`."""
        decision = await self.inviters.check(job.slack_user_id)
        if isinstance(decision, Refused):
            await tell(decision.message)
            return
        limited = self.over_rate(job.slack_user_id, len(job.addresses))
        if limited is not None:
            await tell(limited.message)
            return
        await self.jobs.start(job)
