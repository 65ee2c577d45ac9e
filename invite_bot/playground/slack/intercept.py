"""The local Slack's one extension point: an ``Interceptor`` consulted for every Web API
request (``/api/{method}``) and every response_url post (never for ``/_fake/``).

The local Slack ships none. The tests' fault injection is one (``tests/faults/``): it
answers a request with a 429, a 5xx, an error or a reset instead, delays it, or garbles
or drops the answer once the request took effect. Set it with
``FakeSlack(interceptor=...)``, ``slack.interceptor =``, or ``python -m
invite_bot.playground.slack --interceptor MODULE:CALLABLE`` (the callable, given the
local Slack, returns it); it may add actions to the control API too
(``ControlApi.add``).

Where it is consulted: a Web API request is recorded (``Call``), read and checked
against Slack's Web API document first; then ``before``; then the method answers; then
``after`` with its answer (not when Slack refused the request). A response_url post is
recorded and read, then ``before``; then the post is checked and takes effect (``after``
is never called for it). What ``before`` wants ``after`` to know travels in the request
(``request[key]``, a ``web.RequestKey``). An interceptor that answers sets what the
``Call`` records (``status``, ``response``, and ``fault``: its word for what it did).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from aiohttp import web

from invite_bot.playground.slack.records import Call, JSONDict


@runtime_checkable
class Interceptor(Protocol):
    """Consulted before a request is answered, and once it took effect."""

    async def before(self, request: web.Request, call: Call) -> web.StreamResponse | None:
        """An answer sent instead (the request then has no effect; a reset connection is
        an answer too), or None to go on (after a wait of its own, if it likes).
        ``call.method`` is the Web API method, or "response_url"."""
        ...

    async def after(
        self, request: web.Request, call: Call, body: JSONDict
    ) -> web.StreamResponse | None:
        """The Web API request took effect and ``body`` is its answer: an answer sent
        instead, or None to send ``body``."""
        ...

    def reset(self) -> None:
        """``FakeSlack.reset``: forget what it was set up to do."""
        ...
