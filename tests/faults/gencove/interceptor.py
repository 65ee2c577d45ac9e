"""``GencoveFaults``: fault injection for one Gencove sandbox, plugged in as its interceptor
(``invite_bot.playground.gencove.intercept``). A test queues faults with ``inject``, or
fails a seeded share of requests with ``fail_rate``::

    faults = GencoveFaults(gencove)  # or the ``gencove_faults`` fixture
    faults.inject("POST", "/api/v2/invitations/", Fault.status(500))

and in another process through the control API it adds (``python -m
invite_bot.playground.gencove --interceptor tests.faults:GencoveFaults``):

- ``POST /_fake/inject {"method","path_prefix","faults":[{"kind":"status","code":503,
  "retry_after":2,"after_effect":false}|{"kind":"hang","seconds":5}|{"kind":"reset"}]}``
- ``POST /_fake/fail_rate {"rate","seed","kinds":[503,"reset",...]}``
- ``POST /_fake/clear_faults {}``
- ``POST /_fake/stop_drips {}`` (end every ``drip`` answer now; later ones drip)
- ``GET /_fake/state`` has ``pending_faults``
- hostile fault kinds (issue 15) for ``inject``: ``{"kind":"page_loop"}``,
  ``{"kind":"endless_pages"}``, ``{"kind":"extra_rows","rows"}``,
  ``{"kind":"oversized","size","chunked"}``, ``{"kind":"drip","seconds","chunk"}``,
  ``{"kind":"truncated","keep","abort"}``, ``{"kind":"retry_date","code",
  "retry_after","body"}``, ``{"kind":"maintenance","message","eta"}``; any fault
  takes ``"repeat": n`` (0: until cleared)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.gencove.control import Data
from invite_bot.playground.gencove.invitation_api import INVITATIONS
from invite_bot.playground.gencove.model import LIST_STATUS_CHOICES
from invite_bot.playground.gencove.pages import Page, desc_slice
from invite_bot.playground.gencove.replies import Reply, json_reply
from invite_bot.playground.gencove.shapes import invitation_json
from tests.faults.gencove.faults import Fault
from tests.faults.gencove.hostile import listing_of
from tests.faults.gencove.injection import Injection

# the fault ``before`` took that is to spoil the answer once the request took effect
_AFTER_EFFECT = web.RequestKey("tests.faults.after_effect", Fault)


class GencoveFaults:
    """The faults waiting for ``fake``'s requests; ``fake``'s interceptor from now on."""

    def __init__(self, fake: FakeGencove) -> None:
        if fake.interceptor is not None:
            raise RuntimeError(f"the sandbox already has an interceptor: {fake.interceptor!r}")
        self.fake = fake
        self.injection = Injection()
        fake.interceptor = self
        fake.control.add("inject", self._inject)
        fake.control.add("fail_rate", self._fail_rate)
        fake.control.add("clear_faults", self._clear_faults)
        fake.control.add("stop_drips", self._stop_drips)
        fake.control.add_state(self._state)

    # ------------------------------------------------------------------ the tests' API

    def inject(self, method: str, path_prefix: str, *faults: Fault) -> None:
        """Queue faults; each is consumed by the next request matching method ("*" = any)
        and path prefix, in order."""
        self.injection.inject(method, path_prefix, *faults)

    @property
    def pending_faults(self) -> list[tuple[str, str, Fault]]:
        return list(self.injection.queue)

    def clear_faults(self) -> None:
        self.injection.clear()

    def fail_rate(
        self, rate: float, seed: int = 0, kinds: Sequence[Fault | int | str] | None = None
    ) -> None:
        """Fail each API request with probability ``rate`` (seeded), picking a fault from
        ``kinds`` (default: 500, 502, 503, 429, reset).  ``rate=0`` disables."""
        self.injection.fail_rate(rate, seed, kinds)

    def stop_drips(self) -> None:
        """End every ``Fault.drip`` answer in progress (its connection is closed); drips
        injected afterwards drip again."""
        self.injection.stop_drips()

    # ------------------------------------------------------------------ the interceptor

    async def before(self, request: web.Request) -> web.StreamResponse | None:
        """A fault that strikes before the effect answers now; one after, in ``after``."""
        fault = self.injection.take(request.method, request.path)
        if fault is None:
            return None
        if fault.after_effect:
            request[_AFTER_EFFECT] = fault
            return None
        return await self.injection.apply(request, fault, self.relist)

    async def after(self, request: web.Request, reply: Reply) -> web.StreamResponse | None:
        fault = request.get(_AFTER_EFFECT)
        if fault is None:
            return None
        return await self.injection.apply(request, fault, self.relist, reply)

    def relist(self, request: web.Request, page: Page) -> list[Any] | None:
        """The rows of ``page`` of the listing ``request`` asked for (None: no listing);
        the invitations' beyond ``MAX_LIMIT`` too (for ``Fault.extra_rows``)."""
        status = request.query.get("status", "all")
        if request.path == INVITATIONS and status in LIST_STATUS_CHOICES:
            items = self.fake.ledger.listing(status)
            return [invitation_json(inv) for inv in desc_slice(items, page)]
        bigger = request.clone(rel_url=request.rel_url.update_query(limit=str(page.limit)))
        again = listing_of(self.fake.pipeline.router.dispatch(bigger, b"", report_unknown=False))
        return None if again is None else list(again["results"])

    # ------------------------------------------------------------------ the control API

    def _state(self) -> Data:
        return {
            "pending_faults": [
                {"method": m, "path_prefix": p, **f.to_json()} for m, p, f in self.pending_faults
            ]
        }

    def _inject(self, data: Data) -> Reply:
        faults = [Fault.coerce(f) for f in data["faults"]]
        self.inject(str(data.get("method", "*")), str(data.get("path_prefix", "/")), *faults)
        return json_reply(200, {"queued": len(self.pending_faults)})

    def _fail_rate(self, data: Data) -> Reply:
        self.fail_rate(float(data["rate"]), int(data.get("seed", 0)), data.get("kinds"))
        return json_reply(200, {"rate": self.injection.rate})

    def _clear_faults(self, data: Data) -> Reply:
        self.clear_faults()
        return json_reply(200, {})

    def _stop_drips(self, data: Data) -> Reply:
        self.stop_drips()
        return json_reply(200, {})
