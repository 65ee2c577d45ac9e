"""The Gencove sandbox's JSON control API under ``/_fake/`` (not Gencove's; never
validated, recorded or intercepted), so a test, benchmark or the playground in another
process can drive it:

- ``GET  /_fake/state[?invitations=0]`` → organization, org_api_key, users,
  invitations (with tokens and status history), violations, request_counts, latency,
  hold, create_limit (and what an interceptor adds, ``Control.add_state``)
- ``POST /_fake/latency {"seconds"}``
- ``POST /_fake/limit_creates {"per_second": 10, "burst": 10, "retry_after": 0.1}``
  (null ``per_second``: no limit; ``burst``/``retry_after`` optional); the state's
  ``create_limit`` has it, with ``refused`` (creates answered 429)
- ``POST /_fake/accept {"token"|"email"}``, ``/_fake/expire {"id"}``,
  ``/_fake/revoke {"id"}``
- ``POST /_fake/invitations {"email","role","status","created","expires"}``
- ``POST /_fake/users {"email","name","api_key","admin","member"}``
- ``POST /_fake/jwt {"email"}`` → ``{"token"}``
- ``POST /_fake/hold {"on": bool}``
- ``POST /_fake/clear_log {}`` (forget recorded requests and violations)
- ``POST /_fake/<action>``: the actions an interceptor adds (``Control.add``; the tests'
  fault injection adds ``inject``, ``fail_rate``, ``clear_faults`` and ``stop_drips``)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from invite_bot.playground.gencove.model import FakeInvitation
from invite_bot.playground.gencove.replies import Reply, json_reply
from invite_bot.playground.gencove.shapes import dump_invitation, dump_user

if TYPE_CHECKING:
    from invite_bot.playground.gencove.fake import FakeGencove

Data = dict[str, Any]
Action = Callable[[Data], Reply]  # a POST's JSON body -> the answer


def _optional(value: Any, kind: Callable[[Any], Any]) -> Any:
    return None if value is None else kind(value)


class Control:
    """Each ``POST /_fake/<action>`` is a call of the sandbox's own methods."""

    def __init__(self, fake: FakeGencove) -> None:
        self._fake = fake
        self._actions: dict[str, Action] = {
            "latency": self._latency,
            "limit_creates": self._limit_creates,
            "accept": self._accept,
            "expire": lambda data: self._changed(self._fake.expire(str(data["id"]))),
            "revoke": lambda data: self._changed(self._fake.revoke(str(data["id"]))),
            "invitations": self._add_invitation,
            "users": self._add_user,
            "jwt": self._jwt,
            "hold": self._hold,
            "clear_log": self._clear_log,
        }
        self._state_parts: list[Callable[[], Data]] = []

    def add(self, name: str, action: Action) -> None:
        """Answer ``POST /_fake/<name>`` with ``action`` (a KeyError, ValueError or
        TypeError it raises is a 400); an interceptor's own actions."""
        if name == "state" or name in self._actions:
            raise ValueError(f"the control API already has {name!r}")
        self._actions[name] = action

    def add_state(self, part: Callable[[], Data]) -> None:
        """Merge ``part()`` into every ``GET /_fake/state``; an interceptor's own state."""
        self._state_parts.append(part)

    async def handle(self, request: web.Request) -> web.Response:
        return (await self._reply(request)).to_response()

    async def _reply(self, request: web.Request) -> Reply:
        action = request.path.removeprefix("/_fake/").strip("/")
        try:
            if request.method == "GET" and action == "state":
                return json_reply(200, self.state(request.query.get("invitations", "1") != "0"))
            if request.method != "POST":
                return json_reply(405, {"error": f"{request.method} not allowed"})
            raw = await request.read()
            data: Any = json.loads(raw) if raw else {}
            if not isinstance(data, dict):
                raise TypeError("body must be a JSON object")
            act = self._actions.get(action)
            if act is None:
                return json_reply(404, {"error": f"unknown control action {action!r}"})
            return act(data)
        except (KeyError, ValueError, TypeError) as exc:
            return json_reply(400, {"error": f"{type(exc).__name__}: {exc}"})

    def state(self, with_invitations: bool) -> Data:
        """What ``GET /_fake/state`` answers."""
        fake = self._fake
        invitations = fake.invitations  # (expired lazily first)
        state: Data = {
            "url": fake.server.url,
            "organization": {"id": str(fake.organization.id), "name": fake.organization.name},
            "org_api_key": fake.org_api_key,
            "users": [dump_user(u) for u in fake.users.values()],
            "invitations": (
                [dump_invitation(inv) for inv in invitations.values()] if with_invitations else None
            ),
            "invitation_counts": fake.ledger.counts(),
            "violations": list(fake.violations),
            "request_counts": dict(fake.request_counts),
            "requests_total": len(fake.requests),
            "latency": fake.latency,
            "hold": fake.hold is not None and not fake.hold.is_set(),
            "create_limit": fake.create_limit.to_json() if fake.create_limit else None,
        }
        for part in self._state_parts:
            state.update(part())
        return state

    def _latency(self, data: Data) -> Reply:
        self._fake.latency = float(data["seconds"])
        return json_reply(200, {"latency": self._fake.latency})

    def _limit_creates(self, data: Data) -> Reply:
        rate = data.get("per_second")
        self._fake.limit_creates(
            _optional(rate, float),
            burst=_optional(data.get("burst"), int),
            retry_after=_optional(data.get("retry_after"), float),
        )
        limit = self._fake.create_limit
        return json_reply(200, {"per_second": rate, **(limit.to_json() if limit else {})})

    def _accept(self, data: Data) -> Reply:
        if "token" in data:
            inv = self._fake.get_invitation(str(data["token"]))
        else:
            pending = self._fake.find(str(data["email"]), status="pending")
            if not pending:
                raise KeyError(f"no pending invitation for {data['email']}")
            inv = pending[-1]
        return self._changed(self._fake.accept(inv))

    @staticmethod
    def _changed(inv: FakeInvitation) -> Reply:
        return json_reply(200, dump_invitation(inv))

    def _add_invitation(self, data: Data) -> Reply:
        created = data.get("created")
        expires = data.get("expires")
        inv = self._fake.add_invitation(
            str(data["email"]),
            role=str(data.get("role", "member")),
            status=str(data.get("status", "pending")),
            created=datetime.fromisoformat(created) if created else None,
            expires=datetime.fromisoformat(expires) if expires else None,
        )
        return json_reply(201, dump_invitation(inv))

    def _add_user(self, data: Data) -> Reply:
        user = self._fake.add_user(
            str(data["email"]),
            name=data.get("name"),
            api_key=data.get("api_key"),
            member=bool(data.get("member", False)),
            admin=bool(data.get("admin", False)),
        )
        return json_reply(201, dump_user(user))

    def _jwt(self, data: Data) -> Reply:
        found = self._fake.user_by_email(str(data["email"]))
        if found is None:
            raise KeyError(f"no user {data['email']}")
        return json_reply(200, {"token": self._fake.add_jwt(found)})

    def _hold(self, data: Data) -> Reply:
        fake = self._fake
        if data.get("on"):
            if fake.hold is None or fake.hold.is_set():
                fake.hold = asyncio.Event()
        elif fake.hold is not None:
            fake.hold.set()
            fake.hold = None
        return json_reply(200, {"hold": fake.hold is not None})

    def _clear_log(self, data: Data) -> Reply:
        self._fake.requests.clear()
        self._fake.violations.clear()
        self._fake.request_counts.clear()
        return json_reply(200, {})
