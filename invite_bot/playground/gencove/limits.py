"""The Gencove stand-in's create rate limit: a token bucket, 429 + Retry-After beyond.

Gencove does not document its limits; the bulk benchmark and tests need one to show the
bot pacing itself against a real one (``FakeGencove.limit_creates``). ``per_second``
creates are allowed on average, ``burst`` at once; a create beyond is answered 429 with
a ``Retry-After`` of the whole seconds until the next one would pass (at least 1, as
Django REST Framework says it), and makes nothing. ``retry_after`` announces a fixed
wait instead; the bot's client reads fractional delta-seconds too (``0.25``), so a
benchmark can make it wait exactly as long as the bucket needs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class CreateLimit:
    """A token bucket of `burst` creates, refilled at `per_second`; `clock` in seconds."""

    def __init__(
        self,
        per_second: float,
        *,
        burst: int | None = None,
        retry_after: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        if retry_after is not None and not retry_after > 0:
            raise ValueError("retry_after must be positive")
        self.per_second = per_second
        self.burst = burst if burst is not None else max(1, math.floor(per_second))
        if self.burst < 1:
            raise ValueError("burst must be at least 1")
        self.fixed_retry_after = retry_after
        self._clock = clock
        self._tokens = float(self.burst)
        self._at = clock()
        self.refused = 0  # creates answered 429

    def take(self) -> float | None:
        """None when a create may pass now (and counts), else the seconds to wait."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.per_second)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        self.refused += 1
        return (1 - self._tokens) / self.per_second

    def header(self, wait: float) -> str:
        """The ``Retry-After`` a create refused `wait` seconds early is told."""
        if self.fixed_retry_after is not None:
            return f"{self.fixed_retry_after:g}"
        return self.retry_after(wait)

    @staticmethod
    def retry_after(wait: float) -> str:
        """The header's value: whole seconds, rounded up, at least 1."""
        return str(max(1, math.ceil(wait)))

    def to_json(self) -> dict[str, float | int | None]:
        """The limit as ``GET /_fake/state`` shows it."""
        return {
            "per_second": self.per_second,
            "burst": self.burst,
            "retry_after": self.fixed_retry_after,
            "refused": self.refused,
        }
