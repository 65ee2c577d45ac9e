"""How the Gencove sandbox answers one API request: it is recorded, checked against the
OpenAPI document, held or delayed if asked (a create slowed too, with `slow_creates`),
shown to the interceptor if there is one (`intercept.py`), refused past the create limit,
and answered by its handler (or by the interceptor, after the effect)."""

from __future__ import annotations

import asyncio
import math
import random
from collections import Counter
from collections.abc import Iterable

from aiohttp import web

from invite_bot.playground import spec_check
from invite_bot.playground.gencove.accounts import Accounts
from invite_bot.playground.gencove.intercept import Interceptor
from invite_bot.playground.gencove.invitation_api import INVITATIONS
from invite_bot.playground.gencove.ledger import Ledger
from invite_bot.playground.gencove.limits import CreateLimit
from invite_bot.playground.gencove.model import RecordedRequest, utcnow
from invite_bot.playground.gencove.replies import detail, parse_body_quiet, throttled_message
from invite_bot.playground.gencove.routing import Route, Router


class Pipeline:
    """The API side of the sandbox, with the knobs that shape its answers."""

    def __init__(
        self,
        accounts: Accounts,
        ledger: Ledger,
        routes: Iterable[Route],
        checker: spec_check.SpecChecker | None,
    ) -> None:
        self.latency = 0.0  # seconds added to every answer
        self.hold: asyncio.Event | None = None  # answers wait until it is set
        self.create_limit: CreateLimit | None = None
        # (shortest, longest) seconds each create takes (None: no wait)
        self.slow_creates: tuple[float, float] | None = None
        self.interceptor: Interceptor | None = None  # see intercept.py
        self.violations: list[str] = []
        self.requests: list[RecordedRequest] = []
        self.request_counts: Counter[str] = Counter()
        self.router = Router(accounts, routes, self.violation)
        self._ledger = ledger
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

        interceptor = self.interceptor
        if interceptor is not None:
            early = await interceptor.before(request)
            if early is not None:
                return early

        limited = self._over_create_limit(request)
        if limited is not None:
            return limited
        self._ledger.sweep_expired()
        reply = self.router.dispatch(request, body, report_unknown=path_known)

        if interceptor is not None:
            late = await interceptor.after(request, reply)
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
