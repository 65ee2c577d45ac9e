"""How fast the bot sends invitation creates to one Gencove organization: the pace.

Gencove does not say its limit; it answers 429 with a `Retry-After` in whole seconds
once a create goes beyond it. Waiting that second after every 429 leaves Gencove idle
(its next free create is usually a tenth of a second away), and every worker hitting
429 on its own sends three or four creates per invitation. So the bot learns the rate
Gencove accepts and sends at it:

* Not paced until Gencove answers 429 just after accepting creates (an organization
  without a limit, or a single `/gencove invite`, is never slowed down), and again
  once no 429 came for `FORGET`. The first pace is a guess: what it took in the second
  before, its burst included.
* A 429 says Gencove's bucket was empty when that create was sent. Between two such
  moments at least `MIN_SPAN` apart, the creates Gencove accepted are what it refilled:
  their count over the time between is the rate it accepts. The pace becomes `CUT` of
  it (a little under, so the bucket fills a little again).
* Creates sent at the pace without a 429 raise it: slowly (`GROWTH` a second), so a
  limit that was raised is found and the next 429 measures again (a saw-tooth a few
  percent around Gencove's rate, a 429 every few seconds); quickly (`FAST_GROWTH`)
  while no rate is measured yet, or back up to the most measured lately (`ceiling`).
* 429s with nothing accepted for `MIN_SPAN` say Gencove refuses everything for now (a
  storm, a window that opens later), not how fast it is: they only ease the pace.
* A 429 for a create sent before the last cut lowers nothing: it was sent at the old
  pace. Only the next create waits for Gencove's refill, not every worker for the whole
  `Retry-After` (the worker that got the 429 waits that out itself, in the client).
  A `Retry-After` of whole seconds means the next free create comes within its last
  second, so only what lies before that second holds every create back; a fractional
  one is taken as exact.

Pure: every time is passed in (any monotonic clock, in seconds); no I/O, no sleeping.
"""

from __future__ import annotations

import bisect
import math
from collections import deque

__all__ = ["CUT", "FAST_GROWTH", "FORGET", "GROWTH", "MIN_SPAN", "SLOWEST", "WINDOW", "Pacer"]

CUT = 0.95  # after a 429: this share of the rate Gencove was measured to accept
GROWTH = 0.02  # the pace's rise per second of paced sending, once a rate is measured
FAST_GROWTH = 0.5  # ... before, or back up to the rate measured last
MIN_SPAN = 1.0  # seconds between the two 429s a rate is measured between, at least
MIN_ACCEPTED = 20  # 201s between them, preferably (each end is off by up to one)
WINDOW = 30.0  # seconds of 201s and 429s kept for measuring, at least
FORGET = 60.0  # seconds without a 429 after which creates are not paced any more
SLOWEST = 0.05  # creates per second the pace never goes under (one every 20 s)
MIN_SHOWN = 1  # 201s in the second before a first 429 that show Gencove has a rate
MAX_HOLD = 60.0  # longest wait a Retry-After may impose on every create


class Pacer:
    """The pace of one organization's creates; `rate` None: not paced."""

    def __init__(self) -> None:
        self.rate: float | None = None  # creates per second
        self.ceiling: float | None = None  # the most Gencove was measured to accept lately
        self._ceiling_at = -math.inf
        self._ceiling_solid = False  # from MIN_ACCEPTED 201s or more
        self._next = -math.inf  # when the next create may be sent
        self._accepted: deque[float] = deque()  # send times of recent 201s
        self._refused: deque[float] = deque()  # send times of recent 429s
        self._cut_at = -math.inf  # when the pace was last lowered
        self._last_refusal = -math.inf
        self._grown_at = -math.inf
        self._guessing = False  # the pace is the first guess, not yet cut again

    @property
    def paced(self) -> bool:
        return self.rate is not None

    @property
    def measured(self) -> bool:
        """Whether the pace comes from Gencove's rate measured between two 429s."""
        return self.ceiling is not None

    def delay(self, now: float) -> float:
        """Seconds until a create may be sent (0: now)."""
        if self.rate is not None and now - self._last_refusal > max(FORGET, 10 / self.rate):
            self.rate = self.ceiling = None  # no 429 for long: Gencove keeps up
            self._ceiling_solid = False
        return max(0.0, self._next - now)

    def sent(self, now: float) -> None:
        """A create goes now (its turn came: `delay(now)` was 0)."""
        rate = self.rate
        if rate is None:
            return
        if now - self._next < 1 / rate:
            # Sent about when its turn came: the pace is what holds the bot back, so try
            # faster: quickly back up to what Gencove was measured to take (or while it
            # never was), slowly beyond (its limit may be higher, or have been raised).
            self.rate = rate = self._grown(rate, min(max(0.0, now - self._grown_at), 1.0))
        self._grown_at = now
        self._next = max(self._next, now) + 1 / rate

    def _grown(self, rate: float, elapsed: float) -> float:
        """`rate` after `elapsed` seconds of paced sending without a 429."""
        slow = rate * math.pow(1 + GROWTH, elapsed)
        fast = rate * math.pow(1 + FAST_GROWTH, elapsed)
        if self.ceiling is None:
            return fast
        if not self._ceiling_solid:
            return slow
        return max(slow, min(fast, CUT * self.ceiling))

    def accepted(self, sent_at: float) -> None:
        """Gencove made the invitation a create sent at `sent_at` asked for."""
        self._accepted.append(sent_at)
        self._forget(sent_at)
        if self._guessing and sent_at < self._cut_at and self.rate is not None:
            # Sent before the first 429 was answered, answered after: the guess was short.
            self.rate = max(self.rate, CUT * self._first_guess(self._cut_at))

    def refused(self, sent_at: float, now: float, retry_after: float | None) -> None:
        """Gencove answered 429 (at `now`) to a create sent at `sent_at`."""
        self._forget(now)
        if self.rate is None:
            guess = self._first_guess(sent_at)
            if guess - 1 >= MIN_SHOWN:  # it took some, then refused: a rate shows
                self._lower(guess, now)
                self._guessing = True
        elif sent_at >= self._cut_at:
            self._lower(self._measure(sent_at), now)
            self._guessing = False
        self._refused.append(sent_at)
        self._last_refusal = now
        interval = 0.0 if self.rate is None else 1 / self.rate
        self._next = max(self._next, now + _spacing(interval, retry_after))

    def _lower(self, accepted_rate: float | None, now: float) -> None:
        """Pace at CUT of the rate Gencove accepts (of the pace, when that is lower, or
        when Gencove accepted nothing for a while: that says it is closed, not slow)."""
        known = [rate for rate in (self.rate, accepted_rate) if rate is not None]
        self.rate = max(SLOWEST, min(known, default=SLOWEST) * CUT)
        self._cut_at = now
        self._grown_at = now

    def _measure(self, sent_at: float) -> float | None:
        """The rate Gencove accepts, from the 201s since an earlier 429 (its bucket was
        empty then and now, so they are what it refilled) over the time between: since
        the latest 429 at least MIN_SPAN back with MIN_ACCEPTED 201s since, else since
        the oldest kept, counting one more (each end is off by up to one create: this
        is at most the rate). With no earlier 429 kept, one more than it accepted in the
        last second: about the pace that just went too fast. None when it has accepted
        nothing since a 429 MIN_SPAN back or more: it refuses everything for now,
        whatever the pace (a storm, a window that opens later), which says nothing of
        its rate."""
        accepted = sorted(self._accepted)  # answers come back a little out of order
        up_to = bisect.bisect_right(accepted, sent_at)

        def since(then: float) -> int:
            return up_to - bisect.bisect_right(accepted, then)

        found: tuple[int, float] | None = None
        for then in reversed(self._refused):
            span = sent_at - then
            if span <= 0:
                continue
            count = since(then)
            if span >= MIN_SPAN and (count == 0 or count >= MIN_ACCEPTED):
                if count == 0:
                    return None  # refused, and nothing taken, for MIN_SPAN and more
                return self._measured(count / span, sent_at)
            found = (count, span)
        if found is None:
            return since(sent_at - 1.0) + 1.0
        count, span = found
        if span < MIN_SPAN:
            return (count + 1.0) / span
        if self.ceiling is None:  # too few 201s to go by, but better than none
            self.ceiling, self._ceiling_at = (count + 1.0) / span, sent_at
        return (count + 1.0) / span

    def _measured(self, rate: float, at: float) -> float:
        """`rate` measured from MIN_ACCEPTED 201s or more at `at`: the ceiling, if it is
        the most of the last WINDOW (a storm of 429s can drag one measure down; the pace
        comes back up to the ceiling quickly)."""
        stale = at - self._ceiling_at > WINDOW or not self._ceiling_solid
        if self.ceiling is None or stale or rate >= self.ceiling:
            self.ceiling, self._ceiling_at, self._ceiling_solid = rate, at, True
        return rate

    def _first_guess(self, end: float) -> float:
        """The first 429 in a while: at most one more than Gencove took in the second
        before (its burst included, so perhaps far too many)."""
        return sum(1.0 for t in self._accepted if end - 1.0 < t <= end) + 1.0

    def _forget(self, now: float) -> None:
        # Long enough to hold MIN_ACCEPTED 201s twice over at the current pace.
        cutoff = now - max(WINDOW, 2 * MIN_ACCEPTED / (self.rate or math.inf))
        for kept in (self._accepted, self._refused):
            while kept and kept[0] < cutoff:
                kept.popleft()


def _spacing(interval: float, retry_after: float | None) -> float:
    """How long the next create waits after a 429: one interval of the pace (Gencove's
    next free create, about), but never longer than Gencove said; and at least what lies
    before the last second of a whole-seconds `Retry-After` (the free create is
    somewhere in that second), or all of a fractional one (exact)."""
    if retry_after is None or not math.isfinite(retry_after):
        return interval
    said = max(0.0, retry_after)
    hold = said if said != math.floor(said) else max(0.0, said - 1.0)
    return max(min(interval, said), min(hold, MAX_HOLD))
