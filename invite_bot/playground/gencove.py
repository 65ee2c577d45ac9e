"""The Gencove sandbox: an in-memory Gencove invitation API ("Back API v2").

The playground's Gencove, and the stand-in every test and benchmark talks to.
``FakeGencove`` is an aiohttp server on 127.0.0.1 that behaves like the invitation API of one
real Gencove organization (Django REST Framework semantics: DRF error bodies, limit/offset
pagination with absolute ``next``/``previous`` URLs, ``-created`` ordering).  When
openapi-core is installed (the test extra) it checks the traffic against Gencove's OpenAPI
document (`invite_bot.playground.spec_check`); the playground needs nothing beyond the
runtime dependencies.

Violations
----------
Every problem found is appended to ``fake.violations`` as ``"<METHOD> <path>: <error>"``
(request side) or ``"<METHOD> <path> -> <status> response: <error>"`` (response side).
Tests assert the list is empty at teardown.  The rule for the request side:

* A violation is something a *correct client must never send*: an unknown path or method
  (answered 404 ``{"detail": "Not found."}``), a missing ``Authorization`` header or one
  whose scheme is neither ``Api-Key`` nor ``Bearer``, a path parameter that does not match
  its schema (e.g. a non-uuid ``invitation_id``), a query parameter of the wrong type or
  outside its enum (``status=bogus``), an unsupported or unparsable request body (not JSON /
  form data), and a body that breaks the schema's structure (missing required ``email``,
  wrong JSON types, read-only fields).
* Not a violation: a body whose only problem is a ``format`` (e.g. ``email`` that is not an
  address).  Checking user-supplied data is the server's job; Gencove answers it with a DRF
  400 (``{"email": ["Enter a valid email address."]}``) and so does the fake.  Likewise
  wrong credentials (401), missing permissions (403), unknown ids/tokens (404) and business
  rule failures (400) are normal answers, not violations.

On the response side every 2xx answer must match the spec exactly.  Error answers (4xx/5xx)
are not described by the spec, so their status being unknown to it is not a violation.
Injected fault answers are the test's deliberate choice and are not validated.

``validate=None`` (the default) checks when openapi-core is installed; use
``validate=False`` only for benchmarks; the cheap structural checks (unknown routes,
authorization scheme) are still recorded.

State changes made "outside" the API (as if in Gencove's web app) go through methods
(``add_invitation``, ``accept``, ``expire``, ``revoke``, ``add_user``); the clock is
``fake.now``.  A pending invitation whose ``expires`` has passed turns ``expired`` lazily,
on the next read, with its status record dated at ``expires``.

Standalone: ``python -m invite_bot.playground.gencove --port 0`` prints
``READY http://127.0.0.1:PORT`` and serves until SIGTERM; the JSON control API under
``/_fake/`` (also served in-process) is documented on ``FakeGencove._control``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import bisect
import contextlib
import heapq
import ipaddress
import json
import math
import random
import re
import secrets
import signal
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, NamedTuple, Self
from urllib.parse import parse_qs, parse_qsl, urlencode

from aiohttp import web

from invite_bot.playground import spec_check
from invite_bot.playground.gencove_limits import CreateLimit

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "STATUSES",
    "FakeGencove",
    "FakeInvitation",
    "FakeUser",
    "Fault",
    "Organization",
    "RecordedRequest",
    "StatusChange",
    "main",
]

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
DEFAULT_TTL = timedelta(days=7)
STATUSES: tuple[str, ...] = ("pending", "accepted", "expired", "revoked")
LIST_STATUS_CHOICES: tuple[str, ...] = ("accepted", "all", "expired", "pending", "revoked")

DEFAULT_ORG_ROLES: dict[str, list[str]] = {
    "owner": [
        "organization.view",
        "organization.manage",
        "organization.billing",
        "members.view",
        "members.invite",
        "members.remove",
        "projects.view",
        "projects.manage",
    ],
    "admin": [
        "organization.view",
        "organization.manage",
        "members.view",
        "members.invite",
        "members.remove",
        "projects.view",
        "projects.manage",
    ],
    "member": ["organization.view", "members.view", "projects.view", "projects.manage"],
    "viewer": ["organization.view", "projects.view"],
}
DEFAULT_PROJECT_ROLES: dict[str, list[str]] = {
    "project_admin": ["project.view", "project.manage", "samples.upload", "samples.delete"],
    "project_member": ["project.view", "samples.upload"],
    "project_viewer": ["project.view"],
}

# DRF / Gencove messages.
NOT_FOUND = "Not found."
NO_CREDENTIALS = "Authentication credentials were not provided."
BAD_API_KEY = "Invalid API key."
BAD_JWT = "Given token not valid for any token type"
NO_PERMISSION = "You do not have permission to perform this action."
INVALID_EMAIL = "Enter a valid email address."
ALREADY_PENDING = "An invitation for this email address is already pending."
ALREADY_MEMBER = "This user is already a member of the organization."
ONLY_PENDING_REVOCABLE = "Only pending invitations can be revoked."
OTHER_EMAIL = "This invitation was sent to another email address."
NOT_ACCEPTABLE: dict[str, str] = {
    "expired": "This invitation has expired.",
    "accepted": "This invitation has already been accepted.",
    "revoked": "This invitation has been revoked.",
}


# --------------------------------------------------------------------------- email check

_USER_RE = re.compile(
    r"(^[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*\Z"
    r'|^"([\001-\010\013\014\016-\037!#-\[\]-\177]|\\[\001-\011\013\014\016-\177])*"\Z)',
    re.IGNORECASE,
)
_DOMAIN_RE = re.compile(
    r"((?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+)(?:[A-Z0-9-]{2,63}(?<!-))\Z", re.IGNORECASE
)


def is_valid_email(value: str) -> bool:
    """Django's ``EmailValidator`` (what Gencove's DRF serializer uses), minus IDN corner cases."""
    if not value or "@" not in value or len(value) > 320:
        return False
    user, domain = value.rsplit("@", 1)
    if not _USER_RE.match(user):
        return False
    if domain == "localhost" or _DOMAIN_RE.match(domain):
        return True
    if domain.startswith("[") and domain.endswith("]"):
        literal = domain[1:-1].removeprefix("IPv6:")
        try:
            ipaddress.ip_address(literal)
        except ValueError:
            return False
        return True
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return bool(_DOMAIN_RE.match(ascii_domain))


# --------------------------------------------------------------------------- data model


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime) -> str:
    """DRF's DateTimeField rendering: ISO 8601, UTC as ``Z``."""
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"datetime must be timezone-aware: {value!r}")
    return value


@dataclass(frozen=True)
class Organization:
    id: uuid.UUID
    name: str


@dataclass(eq=False)
class FakeUser:
    id: uuid.UUID
    email: str
    name: str
    api_key: str
    admin: bool = False
    member: bool = False
    role: str | None = None
    created: datetime = field(default_factory=_utcnow)


class StatusChange(NamedTuple):
    """One entry of an invitation's status history (``last_status`` is the last one)."""

    id: uuid.UUID
    status: str
    created: datetime
    actor_id: uuid.UUID
    actor_name: str


@dataclass(eq=False)
class FakeInvitation:
    id: uuid.UUID
    email: str
    role: str
    token: str
    created: datetime
    expires: datetime
    status_changes: list[StatusChange]
    _owner: FakeGencove | None = field(default=None, repr=False)

    @property
    def last_status(self) -> StatusChange:
        if self._owner is not None:
            self._owner._sweep_expired()
        return self.status_changes[-1]

    @property
    def status(self) -> str:
        """Current status (pending/accepted/expired/revoked), lazily expired."""
        return self.last_status.status


def _order_key(inv: FakeInvitation) -> tuple[datetime, int]:
    return (inv.created, inv.id.int)


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    authorization: str | None
    body: bytes = b""
    received: datetime = field(default_factory=_utcnow)
    status: int | None = None  # None until answered (or when the answer was a reset)
    seconds: float | None = None


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
    """A failure injected into one request (see ``FakeGencove.inject`` / ``fail_rate``).

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


@dataclass
class _Reply:
    status: int
    data: bytes = b""
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def to_response(self) -> web.Response:
        if not self.data:
            return web.Response(status=self.status, headers=self.headers)
        return web.Response(
            status=self.status,
            body=self.data,
            content_type=self.content_type,
            headers=self.headers,
        )


def _json_reply(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> _Reply:
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return _Reply(status, data, "application/json", dict(headers or {}))


def _detail(status: int, message: str, headers: Mapping[str, str] | None = None) -> _Reply:
    return _json_reply(status, {"detail": message}, headers)


def _throttled_message(wait: int) -> str:
    unit = "second" if wait == 1 else "seconds"
    return f"Request was throttled. Expected available in {wait} {unit}."


def _fault_reply(fault: Fault) -> _Reply:
    headers: dict[str, str] = {}
    retry_after = fault.retry_after
    if fault.code == 429 and retry_after is None:
        retry_after = 1
    if retry_after is not None:
        headers["Retry-After"] = str(math.ceil(retry_after))
    body = fault.body
    if body is None:
        if fault.code == 429:
            body = {"detail": _throttled_message(math.ceil(retry_after or 1))}
        else:
            body = {"detail": _FAULT_DETAILS.get(fault.code, "Error.")}
    if isinstance(body, str):
        return _Reply(fault.code, body.encode("utf-8"), "text/html", headers)
    return _json_reply(fault.code, body, headers)


# --------------------------------------------------------------------------- hostile answers
#
# Issue 15: answers a misbehaving Gencove (or something between it and the bot) can send,
# for the client's bounds to be tested against. They are injected like every other fault
# (``inject``, ``fail_rate``, ``POST /_fake/inject``); the older kinds behave as before.
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
STREAM_CHUNK = 64 * 1024
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


def _retry_date_reply(fault: Fault) -> _Reply:
    seconds = fault.retry_after or 0.0
    body = fault.body
    if body is None:
        if fault.code == 429:
            body = {"detail": _throttled_message(max(1, math.ceil(seconds)))}
        else:
            body = {"detail": _FAULT_DETAILS.get(fault.code, "Error.")}
    when = datetime.now(UTC) + timedelta(seconds=seconds)  # the wall clock, as Date has it
    headers = {"Retry-After": format_datetime(when, usegmt=True)}
    if isinstance(body, str):
        return _Reply(fault.code, body.encode("utf-8"), "text/html", headers)
    return _json_reply(fault.code, body, headers)


def _listing_of(reply: _Reply) -> dict[str, Any] | None:
    """The decoded listing page in ``reply`` (``meta`` and ``results``), else None."""
    if reply.status != 200 or reply.content_type != "application/json":
        return None
    payload = json.loads(reply.data)
    if not isinstance(payload, dict) or not isinstance(payload.get("meta"), dict):
        return None
    return payload if isinstance(payload.get("results"), list) else None


def _reshaped(fake: FakeGencove, request: web.Request, fault: Fault, reply: _Reply) -> _Reply:
    payload = _listing_of(reply)
    if payload is None:
        return reply
    page = _page_params(request.query)
    base = f"{request.scheme}://{request.host}{request.url.raw_path}"
    query = request.url.raw_query_string
    if fault.kind == "page_loop":
        payload["meta"]["next"] = f"{base}?{query}" if query else base
    elif fault.kind == "endless_pages":
        further = {"limit": str(page.limit), "offset": str(page.offset + page.limit)}
        payload["meta"]["next"] = _replace_query(base, query, further)
    else:  # extra_rows: as if Gencove ignored the limit
        payload["results"] = _following_rows(fake, request, page, fault.rows, payload["results"])
    return _json_reply(reply.status, payload, reply.headers)


def _following_rows(
    fake: FakeGencove, request: web.Request, page: _Page, extra: int, rows: list[Any]
) -> list[Any]:
    """The page's rows and the ``extra`` rows after them, as far as the listing goes."""
    wanted = page.limit + extra
    status = request.query.get("status", "all")
    if request.path == "/api/v2/invitations/" and status in LIST_STATUS_CHOICES:
        items = fake._sorted_all if status == "all" else fake._sorted_by_status[status]
        return [fake.invitation_json(inv) for inv in _desc_slice(items, _Page(page.offset, wanted))]
    bigger = request.clone(rel_url=request.rel_url.update_query(limit=str(wanted)))
    again = _listing_of(fake._dispatch(bigger, b"", report_unknown=False))  # up to MAX_LIMIT
    return list(again["results"]) if again is not None else rows


async def _apply_hostile(
    fake: FakeGencove, request: web.Request, fault: Fault, reply: _Reply | None
) -> web.StreamResponse | None:
    if fault.kind == "retry_date":
        return _retry_date_reply(fault).to_response()
    if reply is None:  # a reshaping fault needs the real answer: made after the effect
        return None
    if fault.kind in {"page_loop", "endless_pages", "extra_rows"}:
        return _reshaped(fake, request, fault, reply).to_response()
    data = reply.data
    if fault.kind == "oversized":
        padded = data + b" " * max(0, fault.size - len(data))
        declared = None if fault.chunked else len(padded)
        return await _stream(request, reply, padded, chunk=STREAM_CHUNK, declared=declared)
    if fault.kind == "drip":
        return await _stream(
            request,
            reply,
            data,
            chunk=fault.chunk,
            declared=len(data),
            interval=fault.seconds,
            stop=fake.drips_stopped,
        )
    keep = len(data) // 2 if fault.keep is None else max(0, min(fault.keep, len(data)))
    if not fault.abort:
        return _Reply(reply.status, data[:keep], reply.content_type, reply.headers).to_response()
    return await _stream(
        request, reply, data[:keep], chunk=STREAM_CHUNK, declared=len(data), hang_up=True
    )


async def _stream(
    request: web.Request,
    reply: _Reply,
    data: bytes,
    *,
    chunk: int,
    declared: int | None,
    interval: float = 0.0,
    stop: asyncio.Event | None = None,
    hang_up: bool = False,
) -> web.StreamResponse:
    """Send ``data`` as ``reply``'s body, ``chunk`` bytes at a time, ``interval`` seconds
    apart; Content-Length ``declared`` (None: chunked). ``hang_up`` (or ``stop`` set):
    close the connection after what was written, whatever Content-Length promised."""
    response = web.StreamResponse(status=reply.status, headers=reply.headers)
    if reply.content_type:
        response.content_type = reply.content_type
    if declared is None:
        response.enable_chunked_encoding()
    else:
        response.content_length = declared
    try:
        await response.prepare(request)
        for start in range(0, len(data), chunk):
            await response.write(data[start : start + chunk])
            if stop is not None and interval > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval)
                if stop.is_set():
                    hang_up = True
                    break
            elif interval > 0:
                await asyncio.sleep(interval)
        if hang_up:
            if request.transport is not None:
                request.transport.close()  # flushes what was written, then hangs up
        else:
            await response.write_eof()
    except ConnectionError:  # the client hung up: its right
        pass
    return response


# --------------------------------------------------------------------------- pagination


def _positive_int(raw: str, *, strict: bool = False, cutoff: int | None = None) -> int:
    value = int(raw)
    if value < 0 or (value == 0 and strict):
        raise ValueError(raw)
    return min(value, cutoff) if cutoff is not None else value


def _replace_query(base: str, query: str, updates: Mapping[str, str | None]) -> str:
    """DRF ``replace_query_param``/``remove_query_param``: sorted query, absolute URL."""
    params = parse_qs(query, keep_blank_values=True)
    for key, value in updates.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = [value]
    encoded = urlencode(sorted(params.items()), doseq=True)
    return f"{base}?{encoded}" if encoded else base


class _Page(NamedTuple):
    offset: int
    limit: int


def _page_params(query: Mapping[str, str]) -> _Page:
    try:
        limit = _positive_int(query["limit"], strict=True, cutoff=MAX_LIMIT)
    except (KeyError, ValueError):
        limit = DEFAULT_LIMIT
    try:
        offset = _positive_int(query["offset"])
    except (KeyError, ValueError):
        offset = 0
    return _Page(offset, limit)


def _paginated(
    request: web.Request, page: _Page, count: int, results: list[dict[str, Any]]
) -> dict[str, Any]:
    base = f"{request.scheme}://{request.host}{request.url.raw_path}"
    query = request.url.raw_query_string
    offset, limit = page
    next_url: str | None = None
    previous_url: str | None = None
    if offset + limit < count:
        next_url = _replace_query(base, query, {"limit": str(limit), "offset": str(offset + limit)})
    if offset > 0:
        prev_offset = None if offset - limit <= 0 else str(offset - limit)
        previous_url = _replace_query(base, query, {"limit": str(limit), "offset": prev_offset})
    return {
        "meta": {"count": count, "next": next_url, "previous": previous_url},
        "results": results,
    }


def _desc_slice(ascending: list[FakeInvitation], page: _Page) -> list[FakeInvitation]:
    """Items ``offset:offset+limit`` of the newest-first view of an ascending list."""
    hi = len(ascending) - page.offset
    if hi <= 0:
        return []
    lo = max(0, hi - page.limit)
    return ascending[lo:hi][::-1]


# --------------------------------------------------------------------------- the fake

_Handler = Callable[["_Call"], _Reply]


@dataclass
class _Call:
    request: web.Request
    params: dict[str, str]
    body: bytes
    user: FakeUser


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class FakeGencove:
    """Fake Gencove organization + invitation API.  See the module docstring."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        validate: bool | None = None,
        latency: float = 0.0,
        org_name: str = "Fake Genomics Org",
        org_api_key: str | None = None,
        admin_email: str = "admin@fake-org.example.com",
        spec_path: Path | None = None,
        now: Callable[[], datetime] | None = None,
        invitation_ttl: timedelta = DEFAULT_TTL,
        shutdown_timeout: float = 0.1,
    ) -> None:
        self.host = host
        self.port = port
        self.latency = latency
        self.now: Callable[[], datetime] = now or _utcnow
        self.invitation_ttl = invitation_ttl
        self.hold: asyncio.Event | None = None
        # Answer a create for an address with a pending invitation "already pending" (400).
        self.refuse_duplicates = False
        self.violations: list[str] = []
        self.requests: list[RecordedRequest] = []
        self.organization = Organization(uuid.uuid4(), org_name)
        self.roles: dict[str, list[str]] = {k: list(v) for k, v in DEFAULT_ORG_ROLES.items()}
        self.project_roles: dict[str, list[str]] = {
            k: list(v) for k, v in DEFAULT_PROJECT_ROLES.items()
        }
        self.role_ids: dict[str, uuid.UUID] = {}
        if validate is None:
            validate = spec_check.available()
        self.validate = validate
        self._checker: spec_check.SpecChecker | None = (
            spec_check.SpecChecker.load(spec_path) if validate else None
        )
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

        self.users: dict[uuid.UUID, FakeUser] = {}
        self._users_by_key: dict[str, FakeUser] = {}
        self._users_by_email: dict[str, FakeUser] = {}
        self._jwts: dict[str, FakeUser] = {}

        self._invitations: dict[uuid.UUID, FakeInvitation] = {}
        self._by_token: dict[str, FakeInvitation] = {}
        self._by_email: dict[str, list[FakeInvitation]] = {}
        self._sorted_all: list[FakeInvitation] = []
        self._sorted_by_status: dict[str, list[FakeInvitation]] = {s: [] for s in STATUSES}
        self._expiry_heap: list[tuple[datetime, int, uuid.UUID]] = []
        self._expiry_seq = 0

        self._faults: list[tuple[str, str, Fault]] = []
        self._fail_rate = 0.0
        self.create_limit: CreateLimit | None = None  # limit_creates
        self._fail_rng = random.Random(0)
        self._fail_kinds: list[Fault] = list(DEFAULT_FAIL_KINDS)
        self.request_counts: Counter[str] = Counter()
        self.drips_stopped = asyncio.Event()  # issue 15: ``stop_drips``

        self.org_api_key = org_api_key or "gc-org-" + secrets.token_hex(20)
        self.admin_user = self.add_user(
            admin_email, name="Org Admin", api_key=self.org_api_key, admin=True
        )
        self._routes: list[tuple[str, re.Pattern[str], _Handler]] = [
            ("GET", re.compile(r"/api/v2/invitations/"), self._list_invitations),
            ("POST", re.compile(r"/api/v2/invitations/"), self._create_invitation),
            (
                "DELETE",
                re.compile(r"/api/v2/invitations/(?P<invitation_id>[^/]+)"),
                self._revoke_invitation,
            ),
            ("GET", re.compile(r"/api/v2/invitations-token/(?P<token>[^/]+)"), self._get_token),
            (
                "PATCH",
                re.compile(r"/api/v2/invitations-token/(?P<token>[^/]+)"),
                self._accept_token,
            ),
            ("GET", re.compile(r"/api/v2/roles/(?P<applies_to>[^/]+)"), self._list_roles),
            ("GET", re.compile(r"/api/v2/organization-users/"), self._list_org_users),
            ("POST", re.compile(r"/api/v2/organization-users/"), self._add_org_user),
            ("GET", re.compile(r"/api/v2/user/"), self._get_user),
            ("PUT", re.compile(r"/api/v2/user/"), self._update_user),
            ("PATCH", re.compile(r"/api/v2/user/"), self._update_user),
        ]

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash); only once started."""
        if self._url is None:
            raise RuntimeError("FakeGencove is not started")
        return self._url

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeGencove already started")
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(
            app,
            access_log=None,
            handler_cancellation=True,
            shutdown_timeout=self._shutdown_timeout,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        self._url = f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ knobs

    def inject(self, method: str, path_prefix: str, *faults: Fault) -> None:
        """Queue faults; each is consumed by the next request matching method ("*" = any)
        and path prefix, in order."""
        for fault in faults:
            self._faults.append((method.upper(), path_prefix, fault))

    @property
    def pending_faults(self) -> list[tuple[str, str, Fault]]:
        return list(self._faults)

    def stop_drips(self) -> None:
        """End every ``Fault.drip`` answer in progress (its connection is closed); drips
        injected afterwards drip again."""
        self.drips_stopped.set()
        self.drips_stopped = asyncio.Event()

    def clear_faults(self) -> None:
        self._faults.clear()
        self._fail_rate = 0.0

    def fail_rate(
        self,
        rate: float,
        seed: int = 0,
        kinds: Sequence[Fault | int | str] | None = None,
    ) -> None:
        """Fail each API request with probability ``rate`` (seeded), picking a fault from
        ``kinds`` (default: 500, 502, 503, 429, reset).  ``rate=0`` disables."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be within [0, 1]")
        self._fail_rate = rate
        self._fail_rng = random.Random(seed)
        self._fail_kinds = [Fault.coerce(k) for k in kinds] if kinds else list(DEFAULT_FAIL_KINDS)

    def count(self, method: str, path_prefix: str = "/") -> int:
        """Number of recorded API requests with this method ("*" = any) and path prefix."""
        method = method.upper()
        return sum(
            1
            for r in self.requests
            if (method in ("*", r.method)) and r.path.startswith(path_prefix)
        )

    # ------------------------------------------------------------------ users

    def add_user(
        self,
        email: str,
        name: str | None = None,
        api_key: str | None = None,
        member: bool = False,
        admin: bool = False,
    ) -> FakeUser:
        """A Gencove user (``admin`` implies ``member``), authenticating with ``api_key``."""
        if email.lower() in self._users_by_email:
            raise ValueError(f"user {email!r} already exists")
        key = api_key or "gc-user-" + secrets.token_hex(20)
        if key in self._users_by_key:
            raise ValueError("api key already in use")
        user = FakeUser(
            id=uuid.uuid4(),
            email=email,
            name=name if name is not None else email.split("@", 1)[0],
            api_key=key,
            admin=admin,
            member=member or admin,
            role="admin" if admin else ("member" if member else None),
            created=self.now(),
        )
        self.users[user.id] = user
        self._users_by_key[key] = user
        self._users_by_email[email.lower()] = user
        return user

    def user_by_email(self, email: str) -> FakeUser | None:
        return self._users_by_email.get(email.strip().lower())

    def add_jwt(self, user: FakeUser) -> str:
        """A JWT-looking bearer token (``Authorization: Bearer <token>``) for ``user``."""
        header = _b64(b'{"alg":"HS256","typ":"JWT"}')
        payload = _b64(json.dumps({"user_id": str(user.id), "jti": secrets.token_hex(16)}).encode())
        token = f"{header}.{payload}.{_b64(secrets.token_bytes(32))}"
        self._jwts[token] = user
        return token

    def members(self) -> list[FakeUser]:
        return [u for u in self.users.values() if u.member]

    # ------------------------------------------------------------------ invitation state

    @property
    def invitations(self) -> dict[uuid.UUID, FakeInvitation]:
        """All invitations by id, in creation order (live dict; don't mutate it)."""
        self._sweep_expired()
        return self._invitations

    def find(self, email: str, status: str | None = None) -> list[FakeInvitation]:
        """Invitations for ``email`` (case-insensitive), in creation order."""
        self._sweep_expired()
        found = self._by_email.get(email.strip().lower(), [])
        if status is None:
            return list(found)
        return [inv for inv in found if inv.status_changes[-1].status == status]

    def get_invitation(self, ref: uuid.UUID | str | FakeInvitation) -> FakeInvitation:
        """By FakeInvitation, uuid, id string or token; ``KeyError`` if unknown."""
        self._sweep_expired()
        if isinstance(ref, FakeInvitation):
            return ref
        if isinstance(ref, uuid.UUID):
            return self._invitations[ref]
        inv = self._by_token.get(ref)
        if inv is not None:
            return inv
        try:
            return self._invitations[uuid.UUID(ref)]
        except ValueError:
            raise KeyError(ref) from None

    def add_invitation(
        self,
        email: str,
        role: str = "member",
        status: str = "pending",
        created: datetime | None = None,
        expires: datetime | None = None,
    ) -> FakeInvitation:
        """Create an invitation directly (as if in Gencove's web app), sent by the org admin.

        ``expired`` without ``expires`` gets ``expires = min(created + ttl, now)``.
        """
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        now = self.now()
        created = _aware(created) if created is not None else now
        if expires is None:
            expires = created + self.invitation_ttl
            if status == "expired":
                expires = min(expires, now)
        _aware(expires)
        if status == "expired" and expires > now:
            raise ValueError("an expired invitation needs expires in the past")
        inv = self._new_invitation(email, role, self.admin_user, created, expires)
        at = max(created, min(now, expires))
        if status == "accepted":
            user = self.user_by_email(email) or self.add_user(email)
            self._accept_for(inv, user, at)
        elif status == "revoked":
            self._set_status(inv, "revoked", self.admin_user, at)
        elif status == "expired":
            self._set_status(inv, "expired", self.admin_user, expires)
        self._sweep_expired()
        return inv

    def accept(
        self, token_or_invitation: str | uuid.UUID | FakeInvitation, user: FakeUser | None = None
    ) -> FakeInvitation:
        """Accept a pending invitation as ``user`` (default: the user with its email,
        created if needed), who becomes an org member."""
        inv = self.get_invitation(token_or_invitation)
        current = inv.status_changes[-1].status
        if current != "pending":
            raise ValueError(f"invitation {inv.id} is {current}")
        if user is None:
            user = self.user_by_email(inv.email) or self.add_user(inv.email)
        self._accept_for(inv, user, self.now())
        return inv

    def expire(self, invitation: uuid.UUID | str | FakeInvitation) -> FakeInvitation:
        """Move a pending invitation's ``expires`` into the past: it becomes ``expired``."""
        inv = self.get_invitation(invitation)
        current = inv.status_changes[-1].status
        if current != "pending":
            raise ValueError(f"invitation {inv.id} is {current}")
        inv.expires = min(inv.expires, self.now())
        self._schedule_expiry(inv)
        self._sweep_expired()
        return inv

    def expire_soon(
        self, invitation: uuid.UUID | str | FakeInvitation, within: timedelta = timedelta(hours=1)
    ) -> FakeInvitation:
        """Move a pending invitation's ``expires`` to ``within`` from now (if that is
        sooner), so a reminder before expiry can be seen."""
        inv = self.get_invitation(invitation)
        current = inv.status_changes[-1].status
        if current != "pending":
            raise ValueError(f"invitation {inv.id} is {current}")
        inv.expires = min(inv.expires, self.now() + within)
        self._schedule_expiry(inv)
        return inv

    def revoke(
        self, invitation: uuid.UUID | str | FakeInvitation, actor: FakeUser | None = None
    ) -> FakeInvitation:
        """Revoke a pending invitation (actor: the org admin by default)."""
        inv = self.get_invitation(invitation)
        current = inv.status_changes[-1].status
        if current != "pending":
            raise ValueError(f"invitation {inv.id} is {current}")
        self._set_status(inv, "revoked", actor or self.admin_user, self.now())
        return inv

    def seed(self, total: int, pending: int, *, domain: str = "seed.example.com") -> None:
        """Add ``total`` invitations, ``pending`` of them pending, the rest cycling through
        accepted/revoked/expired; created one second apart, newest = pending ones."""
        if not 0 <= pending <= total:
            raise ValueError("need 0 <= pending <= total")
        now = self.now()
        others = ("accepted", "revoked", "expired")
        for i in range(total):
            age = total - i  # ascending creation keeps the sorted inserts cheap
            is_pending = i >= total - pending
            status = "pending" if is_pending else others[i % 3]
            created = now - timedelta(seconds=age)
            if status == "expired":
                created -= self.invitation_ttl
            self.add_invitation(
                f"seed-{i:06d}@{domain}",
                role="member" if i % 4 else "viewer",
                status=status,
                created=created,
            )

    # ------------------------------------------------------------------ internals: state

    def _new_invitation(
        self, email: str, role: str, actor: FakeUser, created: datetime, expires: datetime
    ) -> FakeInvitation:
        token = secrets.token_urlsafe(32)
        while token in self._by_token:  # pragma: no cover - astronomically unlikely
            token = secrets.token_urlsafe(32)
        inv = FakeInvitation(
            id=uuid.uuid4(),
            email=email,
            role=role,
            token=token,
            created=created,
            expires=expires,
            status_changes=[StatusChange(uuid.uuid4(), "pending", created, actor.id, actor.name)],
            _owner=self,
        )
        self._invitations[inv.id] = inv
        self._by_token[token] = inv
        self._by_email.setdefault(email.lower(), []).append(inv)
        bisect.insort(self._sorted_all, inv, key=_order_key)
        bisect.insort(self._sorted_by_status["pending"], inv, key=_order_key)
        self._schedule_expiry(inv)
        return inv

    def _schedule_expiry(self, inv: FakeInvitation) -> None:
        self._expiry_seq += 1
        heapq.heappush(self._expiry_heap, (inv.expires, self._expiry_seq, inv.id))

    def _sweep_expired(self) -> None:
        """Turn pending invitations past ``expires`` into expired ones (dated at expires)."""
        heap = self._expiry_heap
        if not heap:
            return
        now = self.now()
        while heap and heap[0][0] <= now:
            expires, _, inv_id = heapq.heappop(heap)
            inv = self._invitations.get(inv_id)
            if inv is None or inv.expires != expires:
                continue
            last = inv.status_changes[-1]
            if last.status != "pending":
                continue
            actor = self.users.get(last.actor_id)
            self._set_status(inv, "expired", actor, expires, actor_name=last.actor_name)

    def _set_status(
        self,
        inv: FakeInvitation,
        status: str,
        actor: FakeUser | None,
        at: datetime,
        *,
        actor_name: str | None = None,
    ) -> None:
        old = inv.status_changes[-1].status
        old_list = self._sorted_by_status[old]
        idx = bisect.bisect_left(old_list, _order_key(inv), key=_order_key)
        while old_list[idx] is not inv:
            idx += 1
        del old_list[idx]
        actor_id = actor.id if actor is not None else self.admin_user.id
        name = actor.name if actor is not None else (actor_name or "")
        inv.status_changes.append(StatusChange(uuid.uuid4(), status, at, actor_id, name))
        bisect.insort(self._sorted_by_status[status], inv, key=_order_key)

    def _accept_for(self, inv: FakeInvitation, user: FakeUser, at: datetime) -> None:
        self._set_status(inv, "accepted", user, at)
        user.member = True
        if not user.admin:
            user.role = inv.role

    # ------------------------------------------------------------------ serialization

    def invitation_json(self, inv: FakeInvitation) -> dict[str, Any]:
        """The spec's ``Invitation`` schema."""
        return {
            "id": str(inv.id),
            "email": inv.email,
            "last_status": self._status_json(inv.status_changes[-1]),
            "expires": _iso(inv.expires),
            "role": inv.role,
        }

    def invitation_details_json(self, inv: FakeInvitation) -> dict[str, Any]:
        """The spec's ``InvitationDetails`` schema."""
        return {
            "token": inv.token,
            "last_status": self._status_json(inv.status_changes[-1]),
            "expires": _iso(inv.expires),
            "organization": {"id": str(self.organization.id), "name": self.organization.name},
            "role": inv.role,
        }

    @staticmethod
    def _status_json(sc: StatusChange) -> dict[str, Any]:
        return {
            "id": str(sc.id),
            "status": sc.status,
            "created": _iso(sc.created),
            "actor": {"id": str(sc.actor_id), "name": sc.actor_name},
        }

    @staticmethod
    def user_json(user: FakeUser) -> dict[str, Any]:
        """The spec's ``User`` schema (uploads/explorer_enabled are strings there)."""
        return {
            "id": str(user.id),
            "email": user.email,
            "name": user.name,
            "uploads_enabled": "true",
            "explorer_enabled": "false",
            "created": _iso(user.created),
            "is_support": False,
        }

    def _role_id(self, name: str) -> uuid.UUID:
        return self.role_ids.setdefault(name, uuid.uuid4())

    def _org_user_json(self, user: FakeUser) -> dict[str, Any]:
        role = user.role or "member"
        return {
            "id": str(user.id),
            "email": user.email,
            "is_active": True,
            "has_mfa_device": False,
            "name": user.name,
            "roles": {"organization": {"id": str(self._role_id(role)), "name": role}},
            "is_support": False,
        }

    def _dump_invitation(self, inv: FakeInvitation) -> dict[str, Any]:
        return {
            "id": str(inv.id),
            "email": inv.email,
            "role": inv.role,
            "token": inv.token,
            "status": inv.status_changes[-1].status,
            "created": _iso(inv.created),
            "expires": _iso(inv.expires),
            "status_changes": [self._status_json(sc) for sc in inv.status_changes],
        }

    def _dump_user(self, user: FakeUser) -> dict[str, Any]:
        return {
            "id": str(user.id),
            "email": user.email,
            "name": user.name,
            "api_key": user.api_key,
            "admin": user.admin,
            "member": user.member,
            "role": user.role,
        }

    # ------------------------------------------------------------------ request pipeline

    def _violation(self, request: web.Request, message: str) -> None:
        self.violations.append(f"{request.method} {request.path_qs}: {message}")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.path.startswith("/_fake/"):
            return (await self._control(request)).to_response()

        body = await request.read()
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            json=_parse_body_quiet(request, body),
            headers=dict(request.headers),
            authorization=request.headers.get("Authorization"),
            body=body,
        )
        self.requests.append(recorded)
        self.request_counts[f"{request.method} {request.path}"] += 1
        answer = await self._answer(request, body)
        recorded.status = answer.status
        recorded.seconds = (_utcnow() - recorded.received).total_seconds()
        return answer

    async def _answer(self, request: web.Request, body: bytes) -> web.StreamResponse:

        path_known = True
        if self._checker is not None:
            path_known, problems = self._checker.request_problems(request, body)
            for problem in problems:
                self._violation(request, problem)

        hold = self.hold
        if hold is not None:
            await hold.wait()
        if self.latency > 0:
            await asyncio.sleep(self.latency)

        fault = self._take_fault(request.method, request.path)
        if fault is not None and not fault.after_effect:
            early = await self._apply_fault(request, fault)
            if early is not None:
                return early

        limited = self._over_create_limit(request)
        if limited is not None:
            return limited
        self._sweep_expired()
        reply = self._dispatch(request, body, report_unknown=path_known)

        if fault is not None and fault.after_effect:
            late = await self._apply_fault(request, fault, reply)
            if late is not None:
                return late

        if self._checker is not None and path_known:
            for problem in self._checker.response_problems(
                request, body, reply.status, reply.data, reply.content_type, reply.headers
            ):
                self.violations.append(
                    f"{request.method} {request.path_qs} -> {reply.status} response: {problem}"
                )
        return reply.to_response()

    def limit_creates(self, per_second: float | None, *, burst: int | None = None) -> None:
        """Allow `per_second` invitation creates (`burst` at once), 429 + Retry-After
        beyond (see gencove_limits); None lifts the limit."""
        self.create_limit = None if per_second is None else CreateLimit(per_second, burst=burst)

    @property
    def rate_limited_creates(self) -> int:
        """Creates the current limit answered 429."""
        return self.create_limit.refused if self.create_limit is not None else 0

    def _over_create_limit(self, request: web.Request) -> web.StreamResponse | None:
        limit = self.create_limit
        if limit is None or request.method != "POST" or request.path != "/api/v2/invitations/":
            return None
        wait = limit.take()
        if wait is None:
            return None
        return web.json_response(
            {"detail": "Request was throttled."},
            status=429,
            headers={"Retry-After": CreateLimit.retry_after(wait)},
        )

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for i, (fault_method, prefix, fault) in enumerate(self._faults):
            if fault_method in ("*", method) and path.startswith(prefix):
                if fault.repeat == 1:
                    del self._faults[i]
                elif fault.repeat > 1:  # issue 15: a fault for several requests
                    self._faults[i] = (fault_method, prefix, fault.times(fault.repeat - 1))
                return fault
        if self._fail_rate > 0 and self._fail_rng.random() < self._fail_rate:
            return self._fail_rng.choice(self._fail_kinds)
        return None

    async def _apply_fault(
        self, request: web.Request, fault: Fault, reply: _Reply | None = None
    ) -> web.StreamResponse | None:
        """Answer to send instead of the normal one (``reply``, once made), or None to go
        on normally."""
        if fault.kind in HOSTILE_KINDS:
            return await _apply_hostile(self, request, fault, reply)
        if fault.kind == "hang":
            await asyncio.sleep(fault.seconds)
            return None
        if fault.kind == "reset":
            transport = request.transport
            if transport is not None:
                transport.abort()
            return web.Response(status=500)  # never delivered: the connection is gone
        return _fault_reply(fault).to_response()

    def _dispatch(self, request: web.Request, body: bytes, *, report_unknown: bool) -> _Reply:
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match is None or method != request.method:
                continue
            user_or_reply = self._authenticate(request)
            if isinstance(user_or_reply, _Reply):
                return user_or_reply
            return handler(_Call(request, match.groupdict(), body, user_or_reply))
        if report_unknown:
            self._violation(request, "no such operation in the Gencove API")
        return _detail(404, NOT_FOUND)

    def _authenticate(self, request: web.Request) -> FakeUser | _Reply:
        header = request.headers.get("Authorization", "").strip()
        if not header:
            return _detail(401, NO_CREDENTIALS, {"WWW-Authenticate": "Api-Key"})
        keyword, _, credential = header.partition(" ")
        credential = credential.strip()
        if keyword.lower() == "api-key":
            user = self._users_by_key.get(credential)
            if user is None:
                return _detail(401, BAD_API_KEY, {"WWW-Authenticate": "Api-Key"})
            return user
        if keyword.lower() == "bearer":
            user = self._jwts.get(credential)
            if user is None:
                return _json_reply(
                    401,
                    {"detail": BAD_JWT, "code": "token_not_valid"},
                    {"WWW-Authenticate": 'Bearer realm="api"'},
                )
            return user
        self._violation(request, f"Authorization scheme {keyword!r} is neither Api-Key nor Bearer")
        return _detail(401, NO_CREDENTIALS, {"WWW-Authenticate": "Api-Key"})

    @staticmethod
    def _body_data(call: _Call) -> dict[str, Any] | _Reply:
        """Parsed JSON/form body as a dict (empty if none), or a DRF 400/415 answer."""
        if not call.body:
            return {}
        ctype = call.request.content_type
        if ctype == "application/json":
            try:
                data = json.loads(call.body)
            except ValueError as exc:
                return _detail(400, f"JSON parse error - {exc}")
            if not isinstance(data, dict):
                return _json_reply(
                    400,
                    {
                        "non_field_errors": [
                            f"Invalid data. Expected a dictionary, but got {type(data).__name__}."
                        ]
                    },
                )
            return data
        if ctype == "application/x-www-form-urlencoded":
            return dict(parse_qsl(call.body.decode("utf-8", "replace"), keep_blank_values=True))
        return _detail(415, f'Unsupported media type "{ctype}" in request.')

    def _require_admin(self, call: _Call) -> _Reply | None:
        return None if call.user.admin else _detail(403, NO_PERMISSION)

    # ------------------------------------------------------------------ endpoints

    def _list_invitations(self, call: _Call) -> _Reply:
        denied = self._require_admin(call)
        if denied is not None:
            return denied
        status = call.request.query.get("status", "all")
        if status not in LIST_STATUS_CHOICES:
            return _json_reply(
                400,
                {
                    "status": [
                        f"Select a valid choice. {status} is not one of the available choices."
                    ]
                },
            )
        items = self._sorted_all if status == "all" else self._sorted_by_status[status]
        page = _page_params(call.request.query)
        results = [self.invitation_json(inv) for inv in _desc_slice(items, page)]
        return _json_reply(200, _paginated(call.request, page, len(items), results))

    def _create_invitation(self, call: _Call) -> _Reply:
        denied = self._require_admin(call)
        if denied is not None:
            return denied
        data = self._body_data(call)
        if isinstance(data, _Reply):
            return data
        errors: dict[str, list[str]] = {}
        email: str = ""
        raw_email = data.get("email")
        if "email" not in data:
            errors["email"] = ["This field is required."]
        elif raw_email is None:
            errors["email"] = ["This field may not be null."]
        elif not isinstance(raw_email, str):
            errors["email"] = ["Not a valid string."]
        else:
            email = raw_email.strip()
            if not email:
                errors["email"] = ["This field may not be blank."]
            elif not is_valid_email(email):
                errors["email"] = [INVALID_EMAIL]
        raw_role = data.get("role", "")
        role = "member"
        if raw_role is None:
            errors["role"] = ["This field may not be null."]
        elif not isinstance(raw_role, str):
            errors["role"] = ["Not a valid string."]
        elif raw_role.strip():
            role = raw_role.strip()
            if role not in self.roles:
                errors["role"] = [f'"{role}" is not a valid choice.']
        if errors:
            return _json_reply(400, errors)
        existing = self._users_by_email.get(email.lower())
        if existing is not None and existing.member:
            return _json_reply(400, {"email": [ALREADY_MEMBER]})
        # Gencove's spec does not say it refuses a second pending invitation, so by default
        # the sandbox makes one: the bot's own duplicate guard must hold without it.
        if self.refuse_duplicates and any(
            inv.status_changes[-1].status == "pending"
            for inv in self._by_email.get(email.lower(), ())
        ):
            return _json_reply(400, {"email": [ALREADY_PENDING]})
        now = self.now()
        inv = self._new_invitation(email, role, call.user, now, now + self.invitation_ttl)
        return _json_reply(201, self.invitation_json(inv))

    def _revoke_invitation(self, call: _Call) -> _Reply:
        denied = self._require_admin(call)
        if denied is not None:
            return denied
        try:
            inv_id = uuid.UUID(call.params["invitation_id"])
        except ValueError:
            return _detail(404, NOT_FOUND)
        inv = self._invitations.get(inv_id)
        if inv is None:
            return _detail(404, NOT_FOUND)
        if inv.status_changes[-1].status != "pending":
            return _detail(400, ONLY_PENDING_REVOCABLE)
        self._set_status(inv, "revoked", call.user, self.now())
        return _Reply(204)

    def _get_token(self, call: _Call) -> _Reply:
        inv = self._by_token.get(call.params["token"])
        if inv is None:
            return _detail(404, NOT_FOUND)
        return _json_reply(200, self.invitation_details_json(inv))

    def _accept_token(self, call: _Call) -> _Reply:
        data = self._body_data(call)
        if isinstance(data, _Reply):
            return data
        inv = self._by_token.get(call.params["token"])
        if inv is None:
            return _detail(404, NOT_FOUND)
        if call.user.email.lower() != inv.email.lower():
            return _detail(403, OTHER_EMAIL)
        current = inv.status_changes[-1].status
        if current != "pending":
            return _detail(400, NOT_ACCEPTABLE[current])
        self._accept_for(inv, call.user, self.now())
        return _json_reply(200, self.invitation_details_json(inv))

    def _list_roles(self, call: _Call) -> _Reply:
        denied = self._require_admin(call)
        if denied is not None:
            return denied
        applies_to = call.params["applies_to"]
        if applies_to == "organization":
            roles = self.roles
        elif applies_to == "project":
            roles = self.project_roles
        else:
            return _detail(404, NOT_FOUND)
        items = [{"name": name, "permissions": list(perms)} for name, perms in roles.items()]
        page = _page_params(call.request.query)
        chunk = items[page.offset : page.offset + page.limit]
        return _json_reply(200, _paginated(call.request, page, len(items), chunk))

    def _list_org_users(self, call: _Call) -> _Reply:
        if not call.user.member:
            return _detail(403, NO_PERMISSION)
        search = call.request.query.get("search", "").strip().lower()
        users = sorted(self.members(), key=lambda u: (u.email.lower(), u.id.int))
        if search:
            users = [
                u
                for u in users
                if search in u.email.lower() or search in u.name.lower() or search == str(u.id)
            ]
        page = _page_params(call.request.query)
        chunk = [self._org_user_json(u) for u in users[page.offset : page.offset + page.limit]]
        return _json_reply(200, _paginated(call.request, page, len(users), chunk))

    def _add_org_user(self, call: _Call) -> _Reply:
        denied = self._require_admin(call)
        if denied is not None:
            return denied
        data = self._body_data(call)
        if isinstance(data, _Reply):
            return data
        errors: dict[str, list[str]] = {}
        user: FakeUser | None = None
        raw_user = data.get("user")
        if raw_user is None:
            errors["user"] = ["This field is required."]
        else:
            try:
                user = self.users.get(uuid.UUID(str(raw_user)))
            except ValueError:
                errors["user"] = ["Must be a valid UUID."]
            else:
                if user is None:
                    errors["user"] = [f'Invalid pk "{raw_user}" - object does not exist.']
        role = data.get("role")
        if role is None:
            errors["role"] = ["This field is required."]
        elif not isinstance(role, str) or role not in self.roles:
            errors["role"] = [f'"{role}" is not a valid choice.']
        if errors or user is None or not isinstance(role, str):
            return _json_reply(400, errors)
        user.member = True
        user.role = role
        user.admin = user.admin or role in ("owner", "admin")
        return _json_reply(201, {"id": str(self._role_id(role)), "name": role})

    def _get_user(self, call: _Call) -> _Reply:
        return _json_reply(200, self.user_json(call.user))

    def _update_user(self, call: _Call) -> _Reply:
        data = self._body_data(call)
        if isinstance(data, _Reply):
            return data
        name = data.get("name")
        if name is not None:
            if not isinstance(name, str) or len(name) > 254:
                message = "Ensure this field has no more than 254 characters."
                return _json_reply(400, {"name": [message]})
            call.user.name = name
        return _json_reply(200, self.user_json(call.user))

    # ------------------------------------------------------------------ control API

    async def _control(self, request: web.Request) -> _Reply:
        """JSON control API (not Gencove's; never validated, recorded or faulted):

        - ``GET  /_fake/state[?invitations=0]`` → organization, org_api_key, users,
          invitations (with tokens and status history), violations, request_counts, latency,
          hold, pending_faults
        - ``POST /_fake/latency {"seconds"}``
        - ``POST /_fake/inject {"method","path_prefix","faults":[{"kind":"status","code":503,
          "retry_after":2,"after_effect":false}|{"kind":"hang","seconds":5}|{"kind":"reset"}]}``
        - ``POST /_fake/fail_rate {"rate","seed","kinds":[503,"reset",...]}``
        - ``POST /_fake/clear_faults {}``
        - ``POST /_fake/limit_creates {"per_second": 10, "burst": 10}`` (null: no limit)
        - ``POST /_fake/accept {"token"|"email"}``, ``/_fake/expire {"id"}``,
          ``/_fake/revoke {"id"}``
        - ``POST /_fake/invitations {"email","role","status","created","expires"}``
        - ``POST /_fake/users {"email","name","api_key","admin","member"}``
        - ``POST /_fake/jwt {"email"}`` → ``{"token"}``
        - ``POST /_fake/hold {"on": bool}``
        - ``POST /_fake/clear_log {}`` (forget recorded requests and violations)
        - ``POST /_fake/stop_drips {}`` (end every ``drip`` answer now; later ones drip)
        - hostile fault kinds (issue 15) for ``inject``: ``{"kind":"page_loop"}``,
          ``{"kind":"endless_pages"}``, ``{"kind":"extra_rows","rows"}``,
          ``{"kind":"oversized","size","chunked"}``, ``{"kind":"drip","seconds","chunk"}``,
          ``{"kind":"truncated","keep","abort"}``, ``{"kind":"retry_date","code",
          "retry_after","body"}``, ``{"kind":"maintenance","message","eta"}``; any fault
          takes ``"repeat": n`` (0: until cleared)
        """
        action = request.path.removeprefix("/_fake/").strip("/")
        try:
            if request.method == "GET" and action == "state":
                return _json_reply(200, self._state(request.query.get("invitations", "1") != "0"))
            if request.method != "POST":
                return _json_reply(405, {"error": f"{request.method} not allowed"})
            raw = await request.read()
            data: Any = json.loads(raw) if raw else {}
            if not isinstance(data, dict):
                raise TypeError("body must be a JSON object")
            return self._control_post(action, data)
        except (KeyError, ValueError, TypeError) as exc:
            return _json_reply(400, {"error": f"{type(exc).__name__}: {exc}"})

    def _control_post(self, action: str, data: dict[str, Any]) -> _Reply:
        if action == "latency":
            self.latency = float(data["seconds"])
            return _json_reply(200, {"latency": self.latency})
        if action == "inject":
            faults = [Fault.coerce(f) for f in data["faults"]]
            self.inject(str(data.get("method", "*")), str(data.get("path_prefix", "/")), *faults)
            return _json_reply(200, {"queued": len(self._faults)})
        if action == "fail_rate":
            kinds = data.get("kinds")
            self.fail_rate(float(data["rate"]), int(data.get("seed", 0)), kinds)
            return _json_reply(200, {"rate": self._fail_rate})
        if action == "clear_faults":
            self.clear_faults()
            return _json_reply(200, {})
        if action == "limit_creates":
            rate, burst = data.get("per_second"), data.get("burst")
            self.limit_creates(
                None if rate is None else float(rate), burst=None if burst is None else int(burst)
            )
            return _json_reply(200, {"per_second": rate})
        if action == "accept":
            if "token" in data:
                inv = self.get_invitation(str(data["token"]))
            else:
                pending = self.find(str(data["email"]), status="pending")
                if not pending:
                    raise KeyError(f"no pending invitation for {data['email']}")
                inv = pending[-1]
            return _json_reply(200, self._dump_invitation(self.accept(inv)))
        if action == "expire":
            return _json_reply(200, self._dump_invitation(self.expire(str(data["id"]))))
        if action == "revoke":
            return _json_reply(200, self._dump_invitation(self.revoke(str(data["id"]))))
        if action == "invitations":
            created = data.get("created")
            expires = data.get("expires")
            inv = self.add_invitation(
                str(data["email"]),
                role=str(data.get("role", "member")),
                status=str(data.get("status", "pending")),
                created=datetime.fromisoformat(created) if created else None,
                expires=datetime.fromisoformat(expires) if expires else None,
            )
            return _json_reply(201, self._dump_invitation(inv))
        if action == "users":
            user = self.add_user(
                str(data["email"]),
                name=data.get("name"),
                api_key=data.get("api_key"),
                member=bool(data.get("member", False)),
                admin=bool(data.get("admin", False)),
            )
            return _json_reply(201, self._dump_user(user))
        if action == "jwt":
            found = self.user_by_email(str(data["email"]))
            if found is None:
                raise KeyError(f"no user {data['email']}")
            return _json_reply(200, {"token": self.add_jwt(found)})
        if action == "hold":
            if data.get("on"):
                if self.hold is None or self.hold.is_set():
                    self.hold = asyncio.Event()
            elif self.hold is not None:
                self.hold.set()
                self.hold = None
            return _json_reply(200, {"hold": self.hold is not None})
        if action == "stop_drips":
            self.stop_drips()
            return _json_reply(200, {})
        if action == "clear_log":
            self.requests.clear()
            self.violations.clear()
            self.request_counts.clear()
            return _json_reply(200, {})
        return _json_reply(404, {"error": f"unknown control action {action!r}"})

    def _state(self, with_invitations: bool) -> dict[str, Any]:
        self._sweep_expired()
        return {
            "url": self._url,
            "organization": {"id": str(self.organization.id), "name": self.organization.name},
            "org_api_key": self.org_api_key,
            "users": [self._dump_user(u) for u in self.users.values()],
            "invitations": (
                [self._dump_invitation(inv) for inv in self._invitations.values()]
                if with_invitations
                else None
            ),
            "invitation_counts": {s: len(v) for s, v in self._sorted_by_status.items()},
            "violations": list(self.violations),
            "request_counts": dict(self.request_counts),
            "requests_total": len(self.requests),
            "latency": self.latency,
            "hold": self.hold is not None and not self.hold.is_set(),
            "pending_faults": [
                {"method": m, "path_prefix": p, **f.to_json()} for m, p, f in self._faults
            ],
        }


def _parse_body_quiet(request: web.Request, body: bytes) -> Any:
    """Best-effort body decoding for ``RecordedRequest.json`` (None if absent/unparsable)."""
    if not body:
        return None
    if request.content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    try:
        return json.loads(body)
    except ValueError:
        return None


# --------------------------------------------------------------------------- standalone


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m invite_bot.playground.gencove", description="Fake Gencove invitation API"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per answer")
    parser.add_argument("--org-key", default=None, help="the organization admin's API key")
    parser.add_argument("--seed-invitations", type=int, default=0, metavar="N")
    parser.add_argument("--seed-pending", type=int, default=0, metavar="M")
    parser.add_argument("--no-validate", action="store_true", help="skip openapi-core checks")
    return parser


async def _serve(args: argparse.Namespace) -> int:
    fake = FakeGencove(
        host=args.host,
        port=args.port,
        latency=args.latency,
        org_api_key=args.org_key,
        validate=not args.no_validate,
    )
    if args.seed_invitations:
        fake.seed(args.seed_invitations, min(args.seed_pending, args.seed_invitations))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await fake.start()
    print(f"READY {fake.url}", flush=True)
    print(f"org_api_key={fake.org_api_key}", file=sys.stderr, flush=True)
    try:
        await stop.wait()
    finally:
        if fake.hold is not None:
            fake.hold.set()
        await fake.stop()
    for violation in fake.violations:
        print(f"VIOLATION {violation}", file=sys.stderr)
    return 0


def main(argv: Iterable[str] | None = None) -> int:
    args = _parser().parse_args(None if argv is None else list(argv))
    return asyncio.run(_serve(args))


if __name__ == "__main__":
    raise SystemExit(main())
