"""How the Gencove sandbox answers one API request: it is recorded, checked against the
OpenAPI document, held or delayed if asked (a create slowed too, with `slow_creates`),
given its injected fault, refused past the create limit, and answered by its handler (or by a
fault, after the effect)."""

from __future__ import annotations

import asyncio
import math
import random
from collections import Counter
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from invite_bot.playground import spec_check
from invite_bot.playground.gencove.accounts import Accounts
from invite_bot.playground.gencove.hostile import listing_of
from invite_bot.playground.gencove.injection import Injection
from invite_bot.playground.gencove.invitation_api import INVITATIONS
from invite_bot.playground.gencove.ledger import Ledger
from invite_bot.playground.gencove.limits import CreateLimit
from invite_bot.playground.gencove.model import LIST_STATUS_CHOICES, RecordedRequest, utcnow
from invite_bot.playground.gencove.pages import Page, desc_slice
from invite_bot.playground.gencove.replies import detail, parse_body_quiet, throttled_message
from invite_bot.playground.gencove.routing import Route, Router
from invite_bot.playground.gencove.shapes import invitation_json


class Pipeline:
    """The API side of the sandbox, with the knobs that shape its answers."""

    def __init__(
        self,
        accounts: Accounts,
        ledger: Ledger,
        routes: Iterable[Route],
        injection: Injection,
        checker: spec_check.SpecChecker | None,
    ) -> None:
        self.latency = 0.0  # seconds added to every answer
        self.hold: asyncio.Event | None = None  # answers wait until it is set
        self.create_limit: CreateLimit | None = None
        # (shortest, longest) seconds each create takes (None: no wait)
        self.slow_creates: tuple[float, float] | None = None
        self.violations: list[str] = []
        self.requests: list[RecordedRequest] = []
        self.request_counts: Counter[str] = Counter()
        self.router = Router(accounts, routes, self.violation)
        self._ledger = ledger
        self._injection = injection
        self._checker = checker

    def violation(self, request: web.Request, message: str) -> None:
        self.violations.append(f"{request.method} {request.path_qs}: {message}")

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            json=parse_body_quiet(request, body),
            headers=dict(request.headers),
            authorization=request.headers.get("Authorization"),
            body=body,
        )
        self.requests.append(recorded)
        self.request_counts[f"{request.method} {request.path}"] += 1
        answer = await self._answer(request, body)
        recorded.status = answer.status
        recorded.seconds = (utcnow() - recorded.received).total_seconds()
        return answer

    def relist(self, request: web.Request, page: Page) -> list[Any] | None:
        """The rows of ``page`` of the listing ``request`` asked for (None: no listing);
        the invitations' beyond ``MAX_LIMIT`` too (for ``Fault.extra_rows``)."""
        status = request.query.get("status", "all")
        if request.path == INVITATIONS and status in LIST_STATUS_CHOICES:
            items = self._ledger.listing(status)
            return [invitation_json(inv) for inv in desc_slice(items, page)]
        bigger = request.clone(rel_url=request.rel_url.update_query(limit=str(page.limit)))
        again = listing_of(self.router.dispatch(bigger, b"", report_unknown=False))
        return None if again is None else list(again["results"])

    async def _answer(self, request: web.Request, body: bytes) -> web.StreamResponse:
        path_known = True
        if self._checker is not None:
            path_known, problems = self._checker.request_problems(request, body)
            for problem in problems:
                self.violation(request, problem)

        hold = self.hold
        if hold is not None:
            await hold.wait()
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        await self._slow_create(request)

        fault = self._injection.take(request.method, request.path)
        if fault is not None and not fault.after_effect:
            early = await self._injection.apply(request, fault, self.relist)
            if early is not None:
                return early

        limited = self._over_create_limit(request)
        if limited is not None:
            return limited
        self._ledger.sweep_expired()
        reply = self.router.dispatch(request, body, report_unknown=path_known)

        if fault is not None and fault.after_effect:
            late = await self._injection.apply(request, fault, self.relist, reply)
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

    async def _slow_create(self, request: web.Request) -> None:
        """A slow Gencove takes `slow_creates` seconds (at random between the two) to make
        each invitation; creates sent together take theirs side by side."""
        slow = self.slow_creates
        if slow is None or request.method != "POST" or request.path != INVITATIONS:
            return
        await asyncio.sleep(random.uniform(*slow))

    def _over_create_limit(self, request: web.Request) -> web.StreamResponse | None:
        limit = self.create_limit
        if limit is None or request.method != "POST" or request.path != INVITATIONS:
            return None
        wait = limit.take()
        if wait is None:
            return None
        header = limit.header(wait)
        message = throttled_message(max(1, math.ceil(float(header))))
        return detail(429, message, {"Retry-After": header}).to_response()
