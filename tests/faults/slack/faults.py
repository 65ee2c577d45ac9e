"""Failures a test tells the local Slack to give: ``SlackFault`` (one failure), the
``FaultPlan`` of queued and seeded-random ones, and how a fault spoils a request before
(429, 5xx, an error, a reset, a delay) or after it took effect (a garbled or lost answer).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

from invite_bot.playground.slack.records import Call, JSONDict


@dataclass(frozen=True)
class SlackFault:
    """A one-shot failure for ``SlackFaults.inject``; build with the class methods."""

    kind: Literal["rate_limited", "status", "error", "reset", "delay", "garbled", "lost"]
    http_status: int = 200
    error_code: str = ""
    retry_after: int = 1
    seconds: float = 0.0

    @classmethod
    def rate_limited(cls, retry_after: int = 1) -> SlackFault:
        """HTTP 429, ``Retry-After: retry_after``, ``{"ok": false, "error": "ratelimited"}``."""
        return cls("rate_limited", 429, "ratelimited", retry_after=retry_after)

    @classmethod
    def status(cls, status: int = 500) -> SlackFault:
        """HTTP ``status`` (500/503/...) with an ``ok: false`` JSON body."""
        code = {500: "fatal_error", 503: "service_unavailable"}.get(status, f"http_{status}")
        return cls("status", status, code)

    @classmethod
    def error(cls, error: str) -> SlackFault:
        """HTTP 200 ``{"ok": false, "error": error}``."""
        return cls("error", 200, error)

    @classmethod
    def reset(cls) -> SlackFault:
        """Drop the connection without answering."""
        return cls("reset")

    @classmethod
    def delay(cls, seconds: float) -> SlackFault:
        """Sleep, then answer normally."""
        return cls("delay", seconds=seconds)

    @classmethod
    def garbled(cls) -> SlackFault:
        """Do what was asked, then answer 200 with JSON cut off half-way."""
        return cls("garbled")

    @classmethod
    def lost(cls) -> SlackFault:
        """Do what was asked, then drop the connection instead of answering."""
        return cls("lost")

    @property
    def after_effect(self) -> bool:
        """The request takes effect; only its answer is spoiled."""
        return self.kind in ("garbled", "lost")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SlackFault:
        kind = data["kind"]
        if kind == "rate_limited":
            return cls.rate_limited(int(data.get("retry_after", 1)))
        if kind == "status":
            return cls.status(int(data.get("status", 500)))
        if kind == "error":
            return cls.error(str(data["error"]))
        if kind == "reset":
            return cls.reset()
        if kind == "delay":
            return cls.delay(float(data["seconds"]))
        if kind == "garbled":
            return cls.garbled()
        if kind == "lost":
            return cls.lost()
        raise ValueError(f"unknown fault kind {kind!r}")


class FaultPlan:
    """The faults still to come: queued per method (or "*"), then a seeded-random rate."""

    _queued: dict[str, deque[SlackFault]]
    _rate: tuple[float, random.Random, frozenset[str] | None, list[SlackFault]]

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """No fault queued, no random failures."""
        self._queued = {}
        self._rate = (0.0, random.Random(0), None, [])

    def inject(self, method: str, faults: Iterable[SlackFault]) -> None:
        """Queue ``faults`` for ``method``, consumed one per request, in order."""
        self._queued.setdefault(method, deque()).extend(faults)

    def left(self, method: str) -> int:
        """How many faults queued for ``method`` no request has taken yet."""
        return len(self._queued.get(method, ()))

    def fail_rate(
        self,
        rate: float,
        seed: int,
        methods: Iterable[str] | None,
        faults: Sequence[SlackFault] | None,
    ) -> None:
        """Fail a seeded-random ``rate`` of requests to ``methods`` (None: every API method)
        with a fault drawn from ``faults`` (default: 429 retry_after=1, 500, 503)."""
        chosen = (
            list(faults)
            if faults
            else [
                SlackFault.rate_limited(1),
                SlackFault.status(500),
                SlackFault.status(503),
            ]
        )
        self._rate = (
            rate,
            random.Random(seed),
            frozenset(methods) if methods is not None else None,
            chosen,
        )

    def next(self, method: str) -> SlackFault | None:
        """The fault a request to ``method`` gets now, if any (taking it from the plan)."""
        for key in (method, "*"):
            queue = self._queued.get(key)
            if queue:
                return queue.popleft()
        rate, rng, methods, faults = self._rate
        if rate > 0 and (methods is None or method in methods):
            if methods is None and method == "response_url":
                return None
            if rng.random() < rate:
                return rng.choice(faults)
        return None


async def apply_fault(
    fault: SlackFault, request: web.Request, call: Call
) -> web.StreamResponse | None:
    """The answer ``fault`` gives before the request takes effect (None: go on after a
    delay)."""
    call.fault = fault.kind
    if fault.kind == "delay":
        await asyncio.sleep(fault.seconds)
        return None
    if fault.kind == "reset":
        call.status = 0
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)
    body: JSONDict = {"ok": False, "error": fault.error_code}
    call.status = fault.http_status
    call.response = body
    headers = {"Retry-After": str(fault.retry_after)} if fault.kind == "rate_limited" else {}
    return web.json_response(body, status=fault.http_status, headers=headers)


def spoil(
    fault: SlackFault, request: web.Request, call: Call, body: JSONDict
) -> web.StreamResponse:
    """The answer to a request that took effect, spoiled as `fault` says."""
    call.fault = fault.kind
    if fault.kind == "lost":
        call.status = 0
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)
    whole = json.dumps(body)
    return web.Response(text=whole[: max(1, len(whole) // 2)], content_type="application/json")
