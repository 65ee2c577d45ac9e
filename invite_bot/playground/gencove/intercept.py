"""The Gencove sandbox's one extension point: an ``Interceptor`` the pipeline consults for
every API request (never for ``/_fake/``).

The sandbox ships none. The tests' fault injection is one (``tests/faults/``): it answers
a request with an error, a hang or a reset instead, or reshapes the answer once the
request took effect. Set it with ``FakeGencove(interceptor=...)``, ``fake.interceptor =``,
or ``python -m invite_bot.playground.gencove --interceptor MODULE:CALLABLE`` (the
callable, given the sandbox, returns it); it may add actions and state to the control
API too (``Control.add``, ``Control.add_state``).

Where it is consulted (``pipeline.py``): the request is recorded, checked against the
OpenAPI document, held, delayed (``latency``) and slowed (``slow_creates``) first; then
``before``; then the create limit and the API's handler; then ``after`` with the
handler's answer. An answer the interceptor sends instead is never checked against the
OpenAPI document (it is the interceptor's deliberate choice). What ``before`` wants
``after`` to know travels in the request (``request[key]``, a ``web.RequestKey``).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from aiohttp import web

from invite_bot.playground.gencove.replies import Reply


@runtime_checkable
class Interceptor(Protocol):
    """Consulted before an API request is answered, and once it took effect."""

    async def before(self, request: web.Request) -> web.StreamResponse | None:
        """An answer sent instead of the API's (the request then has no effect; a reset
        connection is an answer too), or None to go on (after a wait of its own, if it
        likes)."""
        ...

    async def after(self, request: web.Request, reply: Reply) -> web.StreamResponse | None:
        """The request took effect and ``reply`` is the API's answer: an answer sent
        instead, or None to send ``reply``. Not called when ``before`` answered, nor for
        a create the create limit refused."""
        ...
