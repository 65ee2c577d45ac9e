"""Faults a test injects into the Gencove sandbox's answers (``GencoveFaults.inject``,
``fail_rate``, ``POST /_fake/inject``): an error status, a hang, a reset connection, and
the hostile answers of issue 15 (see ``hostile.py``), and the answer a status fault makes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, Literal

from invite_bot.playground.gencove.replies import (
    BAD_API_KEY,
    NO_PERMISSION,
    NOT_FOUND,
    Reply,
    json_reply,
    throttled_message,
)

FaultKind = Literal[
    "status",
    "hang",
    "reset",
    # hostile answers (issue 15), see the section "hostile answers" below
    "page_loop",
    "endless_pages",
    "extra_rows",
    "oversized",
    "drip",
    "truncated",
    "retry_date",
]


@dataclass(frozen=True)
class Fault:
    """A failure injected into one request (see ``GencoveFaults.inject`` / ``fail_rate``).

    ``after_effect=False`` (default): the failure happens before the request reaches the
    "backend" (nothing changes).  ``after_effect=True``: the request takes effect first, then
    the answer is replaced (status), delayed (hang) or dropped (reset).
    """

    kind: FaultKind
    code: int = 0
    body: Any = None
    retry_after: float | None = None
    seconds: float = 0.0
    after_effect: bool = False
    # -- hostile answers (issue 15); see the section "hostile answers" below -------------
    rows: int = 0  # extra_rows: rows beyond the limit
    size: int = 0  # oversized: bytes in all
    chunk: int = 0  # drip: bytes per write
    keep: int | None = None  # truncated: bytes of the answer kept (None: half)
    abort: bool = True  # truncated: drop the connection (else a short, complete answer)
    chunked: bool = False  # oversized: no Content-Length
    repeat: int = 1  # requests this fault answers (0: every one, until cleared)

    @classmethod
    def status(
        cls,
        code: int,
        body: Any = None,
        retry_after: float | None = None,
        *,
        after_effect: bool = False,
    ) -> Fault:
        """Answer ``code`` (a str body is sent as text/html, anything else as JSON)."""
        return cls(
            "status", code=code, body=body, retry_after=retry_after, after_effect=after_effect
        )

    @classmethod
    def hang(cls, seconds: float, *, after_effect: bool = False) -> Fault:
        """Sleep ``seconds`` then answer normally."""
        return cls("hang", seconds=seconds, after_effect=after_effect)

    @classmethod
    def reset(cls, *, after_effect: bool = False) -> Fault:
        """Abort the TCP connection without an answer.

        aiohttp's client silently retries an idempotent request (GET, HEAD, OPTIONS, PUT,
        DELETE) once after a disconnect, so one reset is invisible there: queue two.
        """
        return cls("reset", after_effect=after_effect)

    # -- hostile answers (issue 15) --------------------------------------------------------
    # They reshape the real answer, so (but for retry_date) the request takes effect first.

    def times(self, repeat: int) -> Fault:
        """This fault for the next `repeat` matching requests (0: all of them, until
        ``clear_faults``), instead of one."""
        if repeat < 0:
            raise ValueError("repeat must be >= 0")
        return replace(self, repeat=repeat)

    @classmethod
    def page_loop(cls) -> Fault:
        """The real listing page, its ``meta.next`` pointing back at this very page."""
        return cls("page_loop", after_effect=True)

    @classmethod
    def endless_pages(cls) -> Fault:
        """The real listing page, its ``meta.next`` always pointing one page further (never
        null), past ``meta.count``."""
        return cls("endless_pages", after_effect=True)

    @classmethod
    def extra_rows(cls, rows: int) -> Fault:
        """The real listing page with up to ``rows`` more results than ``limit`` asked for:
        the listing's following rows, as far as it goes (so a last page gets none), as if
        Gencove ignored the limit; ``meta`` unchanged."""
        return cls("extra_rows", rows=rows, after_effect=True)

    @classmethod
    def oversized(cls, size: int, *, chunked: bool = False) -> Fault:
        """The real answer padded with white space to ``size`` bytes (still valid JSON),
        announced in Content-Length, or sent chunked without one."""
        return cls("oversized", size=size, chunked=chunked, after_effect=True)

    @classmethod
    def drip(cls, interval: float = 0.1, chunk: int = 1) -> Fault:
        """The real answer, ``chunk`` bytes every ``interval`` seconds (its Content-Length
        announced up front), until it is all sent, the client hangs up or ``stop_drips``."""
        return cls("drip", seconds=interval, chunk=max(1, chunk), after_effect=True)

    @classmethod
    def truncated(cls, keep: int | None = None, *, abort: bool = True) -> Fault:
        """The real answer (its effect made) cut after ``keep`` bytes (default: half).
        ``abort=True``: Content-Length promises it all and the connection is closed early
        (a cut-off body); ``abort=False``: a complete answer whose body is the cut JSON."""
        return cls("truncated", keep=keep, abort=abort, after_effect=True)

    @classmethod
    def retry_date(
        cls, seconds: float, code: int = 429, body: Any = None, *, after_effect: bool = False
    ) -> Fault:
        """Answer ``code`` with ``Retry-After`` as an HTTP date ``seconds`` from now."""
        return cls(
            "retry_date", code=code, body=body, retry_after=seconds, after_effect=after_effect
        )

    @classmethod
    def maintenance(
        cls, message: str | None = "Scheduled maintenance.", eta: str | None = "14:00 UTC"
    ) -> Fault:
        """Gencove's maintenance answer: 503 ``{"maintenance": true, "maintenance_message",
        "maintenance_eta"}`` (``None`` leaves a part out)."""
        body: dict[str, Any] = {"maintenance": True}
        if message is not None:
            body["maintenance_message"] = message
        if eta is not None:
            body["maintenance_eta"] = eta
        return cls.status(503, body)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fault:
        repeat = int(data.get("repeat", 1))  # issue 15: any fault may answer several requests
        if repeat != 1:
            return cls.from_json({k: v for k, v in data.items() if k != "repeat"}).times(repeat)
        kind = data.get("kind", "status")
        if kind in HOSTILE_JSON_KINDS:
            return _hostile_from_json(str(kind), data)
        after = bool(data.get("after_effect", False))
        if kind == "status":
            retry = data.get("retry_after")
            return cls.status(
                int(data["code"]),
                data.get("body"),
                None if retry is None else float(retry),
                after_effect=after,
            )
        if kind == "hang":
            return cls.hang(float(data["seconds"]), after_effect=after)
        if kind == "reset":
            return cls.reset(after_effect=after)
        raise ValueError(f"unknown fault kind {kind!r}")

    @classmethod
    def coerce(cls, value: Fault | int | str | Mapping[str, Any]) -> Fault:
        """``Fault`` | status code | ``"reset"`` | ``"hang"`` (1 s) | JSON dict."""
        if isinstance(value, Fault):
            return value
        if isinstance(value, int):
            return cls.status(value)
        if isinstance(value, str):
            if value == "reset":
                return cls.reset()
            if value == "hang":
                return cls.hang(1.0)
            if value.isdigit():
                return cls.status(int(value))
            raise ValueError(f"unknown fault {value!r}")
        return cls.from_json(value)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "code": self.code,
            "body": self.body,
            "retry_after": self.retry_after,
            "seconds": self.seconds,
            "after_effect": self.after_effect,
            **_hostile_json(self),
        }


DEFAULT_FAIL_KINDS: tuple[Fault, ...] = (
    Fault.status(500),
    Fault.status(502),
    Fault.status(503),
    Fault.status(429, retry_after=1),
    Fault.reset(),
)

_FAULT_DETAILS: dict[int, str] = {
    400: "Bad request.",
    401: BAD_API_KEY,
    403: NO_PERMISSION,
    404: NOT_FOUND,
    500: "A server error occurred.",
    502: "Bad gateway.",
    503: "Service temporarily unavailable, try again later.",
    504: "Gateway timeout.",
}


def fault_reply(fault: Fault) -> Reply:
    headers: dict[str, str] = {}
    retry_after = fault.retry_after
    if fault.code == 429 and retry_after is None:
        retry_after = 1
    if retry_after is not None:
        headers["Retry-After"] = str(math.ceil(retry_after))
    body = fault.body
    if body is None:
        if fault.code == 429:
            body = {"detail": throttled_message(math.ceil(retry_after or 1))}
        else:
            body = {"detail": _FAULT_DETAILS.get(fault.code, "Error.")}
    if isinstance(body, str):
        return Reply(fault.code, body.encode("utf-8"), "text/html", headers)
    return json_reply(fault.code, body, headers)


# --------------------------------------------------------------------------- hostile answers
#
# Issue 15: answers a misbehaving Gencove (or something between it and the bot) can send,
# for the client's bounds to be tested against. They are injected like every other fault
# (``inject``, ``fail_rate``, ``POST /_fake/inject``); the older kinds behave as before.
# Here: their JSON form; ``hostile.py`` makes the answers.
# Two shapes need no new kind: the maintenance 503 and every 4xx body shape are a
# ``Fault.status(code, body)`` (``Fault.maintenance(...)`` builds the former; a list, a
# ``{"detail"}``, a field map, nested values, and ``body=""`` for an empty body).
#
# - ``page_loop`` / ``endless_pages`` / ``extra_rows``: the real listing page with its
#   ``meta.next`` pointing back at itself / always one page further / with more rows than
#   ``limit`` asked for;
# - ``oversized``: the real answer padded to any size (with or without Content-Length);
# - ``drip``: the real answer a few bytes at a time (``stop_drips`` ends them all);
# - ``truncated``: the real answer, its effect made, cut off (the connection closed before
#   Content-Length is reached, or a complete answer with a cut JSON body);
# - ``retry_date``: a 429 (or any code) whose ``Retry-After`` is an HTTP date;
# - ``Fault.times(n)`` / ``"repeat": n``: one fault answering several requests (0: all).

HOSTILE_KINDS: frozenset[str] = frozenset(
    {"page_loop", "endless_pages", "extra_rows", "oversized", "drip", "truncated", "retry_date"}
)
HOSTILE_JSON_KINDS: frozenset[str] = HOSTILE_KINDS | {"maintenance"}
_HOSTILE_DEFAULTS: dict[str, Any] = {
    "rows": 0,
    "size": 0,
    "chunk": 0,
    "keep": None,
    "abort": True,
    "chunked": False,
    "repeat": 1,
}


def _hostile_from_json(kind: str, data: Mapping[str, Any]) -> Fault:
    if kind == "maintenance":
        return Fault.maintenance(
            data.get("message", "Scheduled maintenance."), data.get("eta", "14:00 UTC")
        )
    if kind == "page_loop":
        return Fault.page_loop()
    if kind == "endless_pages":
        return Fault.endless_pages()
    if kind == "extra_rows":
        return Fault.extra_rows(int(data["rows"]))
    if kind == "oversized":
        return Fault.oversized(int(data["size"]), chunked=bool(data.get("chunked", False)))
    if kind == "drip":
        return Fault.drip(float(data.get("seconds", 0.1)), int(data.get("chunk", 1)))
    if kind == "truncated":
        keep = data.get("keep")
        return Fault.truncated(
            None if keep is None else int(keep), abort=bool(data.get("abort", True))
        )
    retry = data.get("retry_after", data.get("seconds", 1))
    return Fault.retry_date(
        float(retry),
        int(data.get("code", 429)),
        data.get("body"),
        after_effect=bool(data.get("after_effect", False)),
    )


def _hostile_json(fault: Fault) -> dict[str, Any]:
    """The hostile knobs of a fault that differ from their defaults (for ``/_fake/state``)."""
    return {
        name: getattr(fault, name)
        for name, default in _HOSTILE_DEFAULTS.items()
        if getattr(fault, name) != default
    }


def retry_date_reply(fault: Fault) -> Reply:
    seconds = fault.retry_after or 0.0
    body = fault.body
    if body is None:
        if fault.code == 429:
            body = {"detail": throttled_message(max(1, math.ceil(seconds)))}
        else:
            body = {"detail": _FAULT_DETAILS.get(fault.code, "Error.")}
    when = datetime.now(UTC) + timedelta(seconds=seconds)  # the wall clock, as Date has it
    headers = {"Retry-After": format_datetime(when, usegmt=True)}
    if isinstance(body, str):
        return Reply(fault.code, body.encode("utf-8"), "text/html", headers)
    return json_reply(fault.code, body, headers)
