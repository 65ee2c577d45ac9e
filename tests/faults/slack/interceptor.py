"""``SlackFaults``: fault injection for one local Slack, plugged in as its interceptor
(``invite_bot.playground.slack.intercept``). A test queues faults per Web API method (or
"response_url", or "*" for any) with ``inject``, or fails a seeded share of requests
with ``fail_rate``::

    faults = SlackFaults(slack)  # or the ``slack_faults`` fixture
    faults.inject("chat.postMessage", SlackFault.rate_limited(retry_after=0))

and in another process through the control API it adds (``python -m
invite_bot.playground.slack --interceptor tests.faults:SlackFaults``):

- ``POST /_fake/inject {method, faults:[{kind, retry_after|status|error|seconds}]}``
- ``POST /_fake/fail_rate {rate, seed, methods, faults:[...]}``

``FakeSlack.reset`` (``POST /_fake/reset``) forgets every fault, queued or random.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from aiohttp import web

from invite_bot.playground.slack import FakeSlack
from invite_bot.playground.slack.records import Call, JSONDict
from tests.faults.slack.faults import FaultPlan, SlackFault, apply_fault, spoil

# the fault ``before`` took that is to spoil the answer once the request took effect
_AFTER_EFFECT = web.RequestKey("tests.faults.slack_after_effect", SlackFault)


class SlackFaults:
    """The faults waiting for ``slack``'s requests; ``slack``'s interceptor from now on."""

    def __init__(self, slack: FakeSlack) -> None:
        if slack.interceptor is not None:
            raise RuntimeError(f"the local Slack already has an interceptor: {slack.interceptor!r}")
        self.slack = slack
        self.plan = FaultPlan()
        slack.interceptor = self
        slack.control.add("POST", "inject", self._inject)
        slack.control.add("POST", "fail_rate", self._fail_rate)

    # ------------------------------------------------------------------ the tests' API

    def inject(self, method: str, *faults: SlackFault) -> None:
        """Queue faults for ``method`` (an API method, "response_url", or "*" for any),
        consumed one per request, in order."""
        self.plan.inject(method, faults)

    def faults_left(self, method: str) -> int:
        """How many faults queued for ``method`` no request has taken yet."""
        return self.plan.left(method)

    def fail_rate(
        self,
        rate: float,
        seed: int = 0,
        methods: Iterable[str] | None = None,
        faults: Sequence[SlackFault] | None = None,
    ) -> None:
        """Fail a seeded-random ``rate`` of requests to ``methods`` (None: every API method)
        with a fault drawn from ``faults`` (default: 429 retry_after=1, 500, 503)."""
        self.plan.fail_rate(rate, seed, methods, faults)

    # ------------------------------------------------------------------ the interceptor

    async def before(self, request: web.Request, call: Call) -> web.StreamResponse | None:
        """A fault that strikes before the effect answers now; one after, in ``after``.
        A response_url post has no ``after``: any fault answers it now."""
        fault = self.plan.next(call.method)
        if fault is None:
            return None
        if fault.after_effect and call.method != "response_url":
            request[_AFTER_EFFECT] = fault
            return None
        return await apply_fault(fault, request, call)

    async def after(
        self, request: web.Request, call: Call, body: JSONDict
    ) -> web.StreamResponse | None:
        fault = request.get(_AFTER_EFFECT)
        return None if fault is None else spoil(fault, request, call, body)

    def reset(self) -> None:
        self.plan.reset()

    # ------------------------------------------------------------------ the control API

    async def _inject(self, request: web.Request) -> web.StreamResponse:
        data = await _json_body(request)
        faults = [SlackFault.from_json(f) for f in data.get("faults", [])]
        self.inject(str(data["method"]), *faults)
        return web.json_response({"ok": True})

    async def _fail_rate(self, request: web.Request) -> web.StreamResponse:
        data = await _json_body(request)
        faults = [SlackFault.from_json(f) for f in data.get("faults", [])] or None
        self.fail_rate(float(data["rate"]), int(data.get("seed", 0)), data.get("methods"), faults)
        return web.json_response({"ok": True})


async def _json_body(request: web.Request) -> Any:
    raw = await request.read()
    return json.loads(raw) if raw.strip() else {}
