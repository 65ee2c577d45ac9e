"""The Gencove stand-in's create rate limit: a token bucket, 429 + Retry-After beyond.

Gencove does not document its limits; the bulk benchmark and tests need one to show the
bot pacing itself against a real one (``FakeGencove.limit_creates``). ``per_second``
creates are allowed on average, ``burst`` at once; a create beyond is answered 429 with
a ``Retry-After`` of the whole seconds until the next one would pass (at least 1, as an
HTTP server says it), and makes nothing.
"""

from __future__ import annotations

import math
import time


class CreateLimit:
    """A token bucket of `burst` creates, refilled at `per_second`."""

    def __init__(self, per_second: float, *, burst: int | None = None) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.per_second = per_second
        self.burst = burst if burst is not None else max(1, math.floor(per_second))
        if self.burst < 1:
            raise ValueError("burst must be at least 1")
        self._tokens = float(self.burst)
        self._at = time.monotonic()
        self.refused = 0  # creates answered 429

    def take(self) -> float | None:
        """None when a create may pass now (and counts), else the seconds to wait."""
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.per_second)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        self.refused += 1
        return (1 - self._tokens) / self.per_second

    @staticmethod
    def retry_after(wait: float) -> str:
        """The header's value: whole seconds, rounded up, at least 1."""
        return str(max(1, math.ceil(wait)))
