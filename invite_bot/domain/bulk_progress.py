"""How far a bulk invite has got, and its report (pure: no I/O, the clock passed in).

`Tally` counts a job's addresses by outcome; `progress_line` and `progress_bar` are what
the progress message shows ("312 / 1,000 invited · 3 already pending · 2 failed · about
40 s left"); `Throttle` spaces its updates; `report_csv` is the file the job ends with.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from invite_bot.domain.spreadsheet import text_cell

__all__ = [
    "ReportRow",
    "Tally",
    "Throttle",
    "progress_bar",
    "progress_line",
    "report_csv",
    "seconds_left",
    "summary_line",
]

UPDATE_INTERVAL = 2.0  # seconds between two updates of the progress message, at least
BAR_WIDTH = 20
# How the closing message and the report name each outcome.
OUTCOME_WORDS = {
    "created": "invited",
    "existing": "already pending",
    "member": "already members",
    "unsure": "not confirmed",
    "failed": "failed",
    "cancelled": "not sent (cancelled)",
}
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

    @classmethod
    def of(cls, outcomes: Iterable[str | None]) -> Tally:
        counts: dict[str, int] = {}
        total = 0
        for outcome in outcomes:
            total += 1
            if outcome is not None:
                counts[outcome] = counts.get(outcome, 0) + 1
        return cls(
            total=total,
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
            parts.append(f"{tally.count(outcome):,} {OUTCOME_WORDS[outcome]}")
    if tally.open and left is not None:
        parts.append(f"about {_duration(left)} left")
    return " · ".join(parts)


def progress_bar(done: int, total: int, *, width: int = BAR_WIDTH) -> str:
    """A bar of text, e.g. `▓▓▓▓▓▓░░░░░░░░░░░░░░ 31%`."""
    share = done / total if total else 1.0
    filled = min(width, int(share * width))
    return f"{'▓' * filled}{'░' * (width - filled)} {int(share * 100)}%"


def summary_line(tally: Tally) -> str:
    """The closing count by outcome: "998 invited · 2 failed"."""
    parts = [
        f"{tally.count(outcome):,} {OUTCOME_WORDS[outcome]}"
        for outcome in OUTCOME_WORDS
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
        if self._last is not None and now - self._last < self.interval:
            return False
        self._last = now
        return True

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


def report_csv(rows: Sequence[ReportRow]) -> bytes:
    """The report: a header, then one line per address, as UTF-8 with a BOM (which
    spreadsheets read as UTF-8)."""
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
