"""How far a bulk invite has got, and its report (pure: no I/O, the clock passed in).

`Tally` counts a job's addresses by outcome (and the rows skipped as bad); `progress_line`
and `progress_bar` are what the progress message shows ("312 / 1,000 invited · 3 already
pending · 2 failed · about 40 s left"); `Throttle` spaces its updates; `report_csv` is the
file the job ends with, `report_title` its title. Counts agree with their nouns ("1 already
a member", "2 already members"): `counted`.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from invite_bot.domain.text import text_cell

__all__ = [
    "ReportRow",
    "Tally",
    "Throttle",
    "counted",
    "outcome_words",
    "progress_bar",
    "progress_line",
    "report_csv",
    "report_title",
    "seconds_left",
    "summary_line",
]

UPDATE_INTERVAL = 2.0  # seconds between two updates of the progress message, at least
BAR_WIDTH = 20
# How the closing message names each outcome: (after a count of one, after any other).
OUTCOME_WORDS = {
    "created": ("invited", "invited"),
    "existing": ("already pending", "already pending"),
    "member": ("already a member", "already members"),
    "unsure": ("not confirmed", "not confirmed"),
    "failed": ("failed", "failed"),
    "cancelled": ("not sent (cancelled)", "not sent (cancelled)"),
}
SKIPPED = "skipped"  # a row of the list that was not an address to invite: its outcome
REPORT_HEADER = ("address", "role", "outcome", "invitation id", "error")


@dataclass(frozen=True, slots=True)
class Tally:
    """A job's addresses by outcome (`open`: not done yet)."""

    total: int
    created: int = 0
    existing: int = 0
    member: int = 0
    unsure: int = 0
    failed: int = 0
    cancelled: int = 0
    skipped: int = 0  # rows of the list skipped as bad (not among `total`)

    @classmethod
    def of(cls, outcomes: Iterable[str | None], *, skipped: int = 0) -> Tally:
        counts: dict[str, int] = {}
        total = 0
        for outcome in outcomes:
            total += 1
            if outcome is not None:
                counts[outcome] = counts.get(outcome, 0) + 1
        return cls(
            total=total,
            skipped=skipped,
            **{name: counts.get(name, 0) for name in OUTCOME_WORDS},
        )

    @property
    def done(self) -> int:
        """Addresses with an outcome, the cancelled ones included."""
        return (
            self.created + self.existing + self.member + self.unsure + self.failed + self.cancelled
        )

    @property
    def open(self) -> int:
        return self.total - self.done

    def count(self, outcome: str) -> int:
        return int(getattr(self, outcome, 0))


def counted(count: int, one: str, many: str | None = None) -> str:
    """ "1 address", "1,000 addresses": the count and the noun that agrees with it."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def outcome_words(outcome: str, count: int) -> str:
    """ "1 already a member", "2 already members", "3 skipped"."""
    if outcome == SKIPPED:
        return f"{count:,} skipped"
    one, many = OUTCOME_WORDS[outcome]
    return counted(count, one, many)


def seconds_left(done: int, total: int, elapsed: float) -> float | None:
    """The time the rest should take at the pace so far (None: too early to say)."""
    if done <= 0 or elapsed <= 0 or total <= done:
        return None if total > done else 0.0
    return (total - done) * elapsed / done


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(5, math.ceil(seconds / 5.0) * 5)} s"
    if seconds < 3600:
        return f"{math.ceil(seconds / 60.0)} min"
    hours, rest = divmod(math.ceil(seconds / 60.0), 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def progress_line(tally: Tally, left: float | None) -> str:
    """ "312 / 1,000 invited · 3 already pending · 2 failed · about 40 s left"."""
    parts = [f"{tally.created:,} / {tally.total:,} invited"]
    for outcome in ("existing", "member", "unsure", "failed"):
        if tally.count(outcome):
            parts.append(outcome_words(outcome, tally.count(outcome)))
    if tally.open and left is not None:
        parts.append(f"about {_duration(left)} left")
    return " · ".join(parts)


def progress_bar(done: int, total: int, *, width: int = BAR_WIDTH) -> str:
    """A bar of text, e.g. `▓▓▓▓▓▓░░░░░░░░░░░░░░ 31%`."""
    share = done / total if total else 1.0
    filled = min(width, int(share * width))
    return f"{'▓' * filled}{'░' * (width - filled)} {int(share * 100)}%"


def summary_line(tally: Tally) -> str:
    """The closing count by outcome, the skipped rows last: "998 invited · 2 failed · 3
    skipped"."""
    parts = [
        outcome_words(outcome, tally.count(outcome))
        for outcome in (*OUTCOME_WORDS, SKIPPED)
        if tally.count(outcome)
    ]
    return " · ".join(parts) or "nothing to do"


class Throttle:
    """At most one update per `interval` seconds; the clock is the caller's."""

    def __init__(self, interval: float = UPDATE_INTERVAL) -> None:
        self.interval = interval
        self._last: float | None = None

    def due(self, now: float) -> bool:
        """Whether an update may go out at `now` (and, if so, it counts as sent)."""
        if not self.ready(now):
            return False
        self._last = now
        return True

    def ready(self, now: float) -> bool:
        """Whether an update may go out at `now` (nothing counted: see `sent`)."""
        return self._last is None or now - self._last >= self.interval

    def sent(self, now: float) -> None:
        """An update goes out at `now`: the next one waits `interval` from here."""
        self._last = now

    def wait(self, now: float) -> float:
        """Seconds until the next update may go out."""
        return 0.0 if self._last is None else max(0.0, self._last + self.interval - now)


@dataclass(frozen=True, slots=True)
class ReportRow:
    address: str
    role: str
    outcome: str
    invitation_id: str = ""
    error: str = ""


def report_title(channel: str | None, day: datetime, tally: Tally) -> str:
    """ "Bulk invite in #onboarding, 6 Jan 2027: 57 addresses (3 rows skipped)"; `channel`
    is its name (None: a direct message, or a channel the bot cannot name)."""
    where = f" in #{channel}" if channel else ""
    skipped = f" ({counted(tally.skipped, 'row')} skipped)" if tally.skipped else ""
    date = f"{day.day} {day:%b %Y}"
    return f"Bulk invite{where}, {date}: {counted(tally.total, 'address', 'addresses')}{skipped}"


def report_csv(rows: Sequence[ReportRow]) -> bytes:
    """The report: a header, then one line per address (and per row skipped as bad), as
    UTF-8 with a BOM (which spreadsheets read as UTF-8)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REPORT_HEADER)
    for row in rows:
        writer.writerow(
            [
                text_cell(row.address),
                text_cell(row.role),
                row.outcome,
                text_cell(row.invitation_id),
                text_cell(row.error.replace("\r", " ").replace("\n", " ")),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
