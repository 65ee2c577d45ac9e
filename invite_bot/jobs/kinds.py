"""Kinds of invite job: how each shows itself, and what it does between chunks and at the
end. A plain invite (the command, the modal, a re-invite, an approved request) has no
entry here: its message is `results.job_message`. A bulk job registers its own
(`invite_bot.slack.bulk_job`), so a resumed job, and any later refresh of its message
(a click, a poll), render it the same way."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from invite_bot.slack.blockkit import Message
from invite_bot.slack.blocks import InviteRow
from invite_bot.store import InviteJob

if TYPE_CHECKING:
    from invite_bot.bot import Bot
    from invite_bot.slack.outbound import Posted


@dataclass(frozen=True)
class JobKind:
    """How a kind of job shows itself, and what it does between chunks and at the end."""

    render: Callable[[Bot, InviteJob, list[InviteRow], bool], Awaitable[Message]]
    after_chunk: Callable[[Bot, InviteJob, list[InviteRow]], Awaitable[None]] | None = None
    after_finish: (
        Callable[[Bot, InviteJob, list[InviteRow], Posted | None], Awaitable[None]] | None
    ) = None
    wait_when_busy: bool = False  # 429/5xx leave the address open; the job waits


_KINDS: dict[str, JobKind] = {}


def register_kind(name: str, kind: JobKind) -> None:
    """Make `name` a job kind (`NewInviteJob.kind`), for new and resumed jobs alike."""
    _KINDS[name] = kind


def kind_of(job: InviteJob) -> JobKind | None:
    """The job's registered kind; None for a plain invite."""
    return _KINDS.get(job.kind)
