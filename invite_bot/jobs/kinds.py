"""Kinds of invite job: how each shows itself, and what it does between chunks and at the
end. Features register theirs with the app's `JobKinds` (a plain invite: "invite"; a bulk
invite: "bulk"), so a resumed job, and any later refresh of its message (a click, a poll),
render it the same way. Also the owners of posted messages: who re-renders a message the
bot posted when something it shows changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from invite_bot.domain.records import InviteRow
from invite_bot.slack.blockkit import Message
from invite_bot.store import InviteJob

if TYPE_CHECKING:
    from invite_bot.slack.reading import Posted


@dataclass(frozen=True)
class JobKind:
    """How a kind of job shows itself, and what it does between chunks and at the end."""

    # the job's message for its rows; the last argument: whether the job is finished
    render: Callable[[InviteJob, list[InviteRow], bool], Awaitable[Message]]
    # the progress so far: between chunks, and every `tick` seconds within one
    after_chunk: Callable[[InviteJob, list[InviteRow]], Awaitable[None]] | None = None
    tick: float | None = None
    # once the closing message is shown (a bulk job's report): True when done, False to be
    # run again later (the job stays unfinished, so `resume` runs it again)
    after_finish: Callable[[InviteJob, list[InviteRow], Posted | None], Awaitable[bool]] | None = (
        None
    )
    wait_when_busy: bool = False  # 429/5xx leave the address open; the job waits
    # before the first address is sent, for a job with no message yet: show it (a bulk
    # job's progress message, with its Cancel); returns the job with its message placed,
    # or None when it could not be shown (its addresses are then not sent); the second
    # argument: whether the job is resumed (a run before may have shown it)
    open: Callable[[InviteJob, bool], Awaitable[InviteJob | None]] | None = None
    # for a job with no message yet: what to tell its asker alone instead of posting, when
    # there is nothing new for the channel (a plain invite of addresses already invited);
    # None: post the message as usual
    private: Callable[[InviteJob, list[InviteRow]], Awaitable[Message | None]] | None = None


Owner = Callable[[str, str], Awaitable[Message | None]]


class JobKinds:
    """The job kinds of one app, and the owners of the messages its features post."""

    def __init__(self) -> None:
        self._kinds: dict[str, JobKind] = {}
        self._owners: list[Owner] = []

    def register(self, name: str, kind: JobKind) -> None:
        """Make `name` a job kind (`NewInviteJob.kind`), for new and resumed jobs alike."""
        self._kinds[name] = kind

    def of(self, job: InviteJob) -> JobKind:
        """The job's kind; LookupError for a kind no feature registered."""
        found = self._kinds.get(job.kind)
        if found is None:
            raise LookupError(f"job {job.id} is of an unknown kind {job.kind!r}")
        return found

    def own(self, owner: Owner) -> None:
        """`owner(channel, ts)` renders the messages it posted (None: not one of its)."""
        self._owners.append(owner)

    async def owned(self, channel: str, ts: str) -> Message | None:
        """The message at (channel, ts) as its owner renders it now; None when no feature
        owns it (a job's own message)."""
        for owner in self._owners:
            message = await owner(channel, ts)
            if message is not None:
                return message
        return None
