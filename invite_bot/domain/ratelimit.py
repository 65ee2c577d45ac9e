"""Per-user invitation limit (`INVITE_RATE_LIMIT`): parsing and a sliding-window counter."""

from __future__ import annotations

import math
import re
import sys
from collections import deque
from dataclasses import dataclass, field

__all__ = ["OFF", "Allowance", "Rate", "SlidingWindow", "parse_rate"]

MAX_COUNT = 100_000
MAX_PERIOD_SECONDS = 366 * 86_400
MIN_WAIT = 0.001  # seconds: the shortest wait a refusal names

_UNITS: dict[str, int] = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3_600),
    **dict.fromkeys(("d", "day", "days"), 86_400),
}
_RATE = re.compile(r"(\d{1,9})\s*(?:/|\s+per\s+)\s*(\d{0,9})\s*([a-z]+)")


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `count` invitations per `period_seconds` per user; count 0 means no limit."""

    count: int
    period_seconds: int

    @property
    def enabled(self) -> bool:
        """False for `off` / `0`."""
        return self.count > 0

    def describe(self) -> str:
        """In words: "100 per hour", "10 per 30 seconds", "no limit"."""
        if not self.enabled:
            return "no limit"
        for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1)):
            if self.period_seconds % size == 0:
                amount = self.period_seconds // size
                per = unit if amount == 1 else f"{amount} {unit}s"
                return f"{self.count} per {per}"
        raise AssertionError("unreachable: every period is a whole number of seconds")


OFF = Rate(count=0, period_seconds=0)


def parse_rate(raw: str) -> Rate:
    """Parse `100/hour`, `20/minute`, `5/min`, `1000/day`, `10/30s`, `0` or `off`.

    Raises ValueError saying what is accepted.
    """
    text = raw.strip().lower()
    if text in ("0", "off", "none", "unlimited"):
        return OFF
    match = _RATE.fullmatch(text)
    if match is None or match.group(3) not in _UNITS:
        raise ValueError(
            f"{raw.strip()!r} is not a rate; write COUNT/PERIOD like 100/hour, 20/minute, "
            "1000/day or 10/30s, or off"
        )
    count = int(match.group(1))
    period = int(match.group(2) or "1") * _UNITS[match.group(3)]
    if not 1 <= count <= MAX_COUNT:
        raise ValueError(f"the count in {raw.strip()!r} must be 1 to {MAX_COUNT} (or use off)")
    if not 1 <= period <= MAX_PERIOD_SECONDS:
        raise ValueError(f"the period in {raw.strip()!r} must be 1 second to 366 days")
    return Rate(count=count, period_seconds=period)


@dataclass(frozen=True, slots=True)
class Allowance:
    """The limiter's answer: `retry_after` seconds until the whole batch would fit
    (`inf` if it never can, 0 when allowed); `remaining` invitations left now."""

    allowed: bool
    retry_after: float
    remaining: int


@dataclass(slots=True)
class _History:
    batches: deque[tuple[float, int]] = field(default_factory=deque)
    used: int = 0

    def forget_before(self, cutoff: float) -> None:
        while self.batches and self.batches[0][0] <= cutoff:
            self.used -= self.batches.popleft()[1]


class SlidingWindow:
    """Counts each user's invitations over the last `rate.period_seconds`.

    Batches are all-or-nothing; memory holds only users seen within about two periods.
    `now` is any monotonic clock in seconds, supplied by the caller.
    """

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self._users: dict[str, _History] = {}
        self._last_sweep = -math.inf

    def allow(self, user_id: str, n: int, now: float) -> Allowance:
        """Record and allow `n` invitations for `user_id` if they all fit, else refuse all."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if not self.rate.enabled:
            return Allowance(allowed=True, retry_after=0.0, remaining=sys.maxsize)
        cutoff = now - self.rate.period_seconds
        self._sweep(now, cutoff)
        history = self._users.get(user_id)
        if history is None:
            history = _History()
        history.forget_before(cutoff)
        remaining = self.rate.count - history.used
        if n <= remaining:
            if n:
                history.batches.append((now, n))
                history.used += n
                self._users[user_id] = history
            return Allowance(allowed=True, retry_after=0.0, remaining=remaining - n)
        return Allowance(
            allowed=False, retry_after=self._wait(history, n, now), remaining=remaining
        )

    def _wait(self, history: _History, n: int, now: float) -> float:
        if n > self.rate.count:
            return math.inf
        still_needed = history.used + n - self.rate.count
        for when, size in history.batches:
            still_needed -= size
            if still_needed <= 0:
                # Never 0 for a refusal: float rounding can put `when + period` at `now`
                # while `now - period` is still before `when`.
                return max(MIN_WAIT, when + self.rate.period_seconds - now)
        raise AssertionError("unreachable: freeing every batch always makes room")

    def _sweep(self, now: float, cutoff: float) -> None:
        # Drop users idle for a whole period, at most once a period: O(1) amortised.
        if now - self._last_sweep < self.rate.period_seconds:
            return
        self._last_sweep = now
        idle = [u for u, h in self._users.items() if not h.batches or h.batches[-1][0] <= cutoff]
        for user_id in idle:
            del self._users[user_id]
