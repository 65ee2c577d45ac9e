"""``FakeGencove``: the Gencove sandbox as one object, a façade over its parts (the
accounts, the invitation ledger, the API handlers, the request pipeline and its
interceptor, the control API and the server); see the package docstring."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from invite_bot.playground import spec_check
from invite_bot.playground.gencove import shapes
from invite_bot.playground.gencove.account_api import AccountApi
from invite_bot.playground.gencove.accounts import Accounts
from invite_bot.playground.gencove.control import Control
from invite_bot.playground.gencove.intercept import Interceptor
from invite_bot.playground.gencove.invitation_api import InvitationApi
from invite_bot.playground.gencove.ledger import InvitationRef, Ledger
from invite_bot.playground.gencove.limits import CreateLimit
from invite_bot.playground.gencove.model import (
    DEFAULT_TTL,
    FakeInvitation,
    FakeUser,
    Organization,
    RecordedRequest,
    utcnow,
)
from invite_bot.playground.gencove.pipeline import Pipeline
from invite_bot.playground.gencove.server import LoopbackServer


class FakeGencove:
    """Fake Gencove organization + invitation API.  See the package docstring."""

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
        interceptor: Interceptor | None = None,
    ) -> None:
        self.server = LoopbackServer(host, port, shutdown_timeout)
        self.validate = spec_check.available() if validate is None else validate
        checker = spec_check.SpecChecker.load(spec_path) if self.validate else None
        self.organization = Organization(uuid.uuid4(), org_name)
        self.org_api_key = org_api_key or "gc-org-" + secrets.token_hex(20)
        self.accounts = Accounts()
        clock = now or utcnow
        self.admin_user = self.accounts.add_user(
            admin_email, created=clock(), name="Org Admin", api_key=self.org_api_key, admin=True
        )
        self.ledger = Ledger(self.accounts, self.admin_user, clock, invitation_ttl)
        self.invitation_api = InvitationApi(self.ledger, self.accounts, self.organization)
        routes = [*self.invitation_api.routes(), *AccountApi(self.accounts).routes()]
        self.pipeline = Pipeline(self.accounts, self.ledger, routes, checker)
        self.pipeline.latency = latency
        self.pipeline.interceptor = interceptor
        self.limit_clock: Callable[[], float] = time.monotonic  # the create limit's clock
        self.control = Control(self)

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash); only once started."""
        if self.server.url is None:
            raise RuntimeError("FakeGencove is not started")
        return self.server.url

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    async def start(self) -> None:
        await self.server.start(self._handle)

    async def stop(self) -> None:
        await self.server.stop()

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

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.path.startswith("/_fake/"):
            return await self.control.handle(request)
        return await self.pipeline.handle(request)

    # ------------------------------------------------------------------ knobs and records

    @property
    def now(self) -> Callable[[], datetime]:
        """The sandbox's clock (assignable)."""
        return self.ledger.now

    @now.setter
    def now(self, value: Callable[[], datetime]) -> None:
        self.ledger.now = value

    @property
    def invitation_ttl(self) -> timedelta:
        return self.ledger.ttl

    @invitation_ttl.setter
    def invitation_ttl(self, value: timedelta) -> None:
        self.ledger.ttl = value

    @property
    def latency(self) -> float:
        """Seconds added to every API answer."""
        return self.pipeline.latency

    @latency.setter
    def latency(self, value: float) -> None:
        self.pipeline.latency = value

    @property
    def slow_creates(self) -> tuple[float, float] | None:
        """(shortest, longest) seconds each invitation create takes, as a slow Gencove
        answers (None: at once)."""
        return self.pipeline.slow_creates

    @slow_creates.setter
    def slow_creates(self, value: tuple[float, float] | None) -> None:
        if value is not None and not 0 <= value[0] <= value[1]:
            raise ValueError("slow_creates is (shortest, longest), 0 <= shortest <= longest")
        self.pipeline.slow_creates = value

    @property
    def hold(self) -> asyncio.Event | None:
        """An event every API answer waits for (None: no wait)."""
        return self.pipeline.hold

    @hold.setter
    def hold(self, value: asyncio.Event | None) -> None:
        self.pipeline.hold = value

    @property
    def refuse_duplicates(self) -> bool:
        """Answer a create for an address with a pending invitation "already pending"."""
        return self.invitation_api.refuse_duplicates

    @refuse_duplicates.setter
    def refuse_duplicates(self, value: bool) -> None:
        self.invitation_api.refuse_duplicates = value

    @property
    def interceptor(self) -> Interceptor | None:
        """Consulted before each API request is answered (see intercept.py; None: none)."""
        return self.pipeline.interceptor

    @interceptor.setter
    def interceptor(self, value: Interceptor | None) -> None:
        self.pipeline.interceptor = value

    @property
    def violations(self) -> list[str]:
        return self.pipeline.violations

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.pipeline.requests

    @property
    def request_counts(self) -> Counter[str]:
        return self.pipeline.request_counts

    def count(self, method: str, path_prefix: str = "/") -> int:
        """Number of recorded API requests with this method ("*" = any) and path prefix."""
        method = method.upper()
        return sum(
            1
            for r in self.requests
            if (method in ("*", r.method)) and r.path.startswith(path_prefix)
        )

    # ------------------------------------------------------------------ limits

    def limit_creates(
        self,
        per_second: float | None,
        *,
        burst: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Allow `per_second` invitation creates (`burst` at once, default the whole
        `per_second`), 429 + Retry-After beyond: the whole seconds the bucket needs, or
        `retry_after` (see limits.py); None lifts the limit (and its count)."""
        self.pipeline.create_limit = (
            None
            if per_second is None
            else CreateLimit(
                per_second, burst=burst, retry_after=retry_after, clock=self.limit_clock
            )
        )

    @property
    def create_limit(self) -> CreateLimit | None:
        return self.pipeline.create_limit

    @property
    def rate_limited_creates(self) -> int:
        """Creates the current limit answered 429."""
        limit = self.pipeline.create_limit
        return limit.refused if limit is not None else 0

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
        return self.accounts.add_user(
            email, created=self.now(), name=name, api_key=api_key, member=member, admin=admin
        )

    @property
    def users(self) -> dict[uuid.UUID, FakeUser]:
        return self.accounts.users

    @property
    def roles(self) -> dict[str, list[str]]:
        return self.accounts.roles

    def user_by_email(self, email: str) -> FakeUser | None:
        return self.accounts.by_email(email)

    def add_jwt(self, user: FakeUser) -> str:
        """A JWT-looking bearer token (``Authorization: Bearer <token>``) for ``user``."""
        return self.accounts.add_jwt(user)

    def members(self) -> list[FakeUser]:
        return self.accounts.members()

    # ------------------------------------------------------------------ invitations

    @property
    def invitations(self) -> dict[uuid.UUID, FakeInvitation]:
        """All invitations by id, in creation order (live dict; don't mutate it)."""
        return self.ledger.invitations

    def find(self, email: str, status: str | None = None) -> list[FakeInvitation]:
        """Invitations for ``email`` (case-insensitive), in creation order."""
        return self.ledger.find(email, status)

    def get_invitation(self, ref: InvitationRef) -> FakeInvitation:
        """By FakeInvitation, uuid, id string or token; ``KeyError`` if unknown."""
        return self.ledger.get(ref)

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
        return self.ledger.add(email, role, status, created, expires)

    def accept(
        self, token_or_invitation: InvitationRef, user: FakeUser | None = None
    ) -> FakeInvitation:
        """Accept a pending invitation as ``user`` (default: the user with its email,
        created if needed), who becomes an org member."""
        return self.ledger.accept(token_or_invitation, user)

    def expire(self, invitation: InvitationRef) -> FakeInvitation:
        """Move a pending invitation's ``expires`` into the past: it becomes ``expired``."""
        return self.ledger.expire(invitation)

    def expire_soon(
        self, invitation: InvitationRef, within: timedelta = timedelta(hours=1)
    ) -> FakeInvitation:
        """Move a pending invitation's ``expires`` to ``within`` from now (if that is
        sooner), so a reminder before expiry can be seen."""
        return self.ledger.expire_soon(invitation, within)

    def revoke(self, invitation: InvitationRef, actor: FakeUser | None = None) -> FakeInvitation:
        """Revoke a pending invitation (actor: the org admin by default)."""
        return self.ledger.revoke(invitation, actor)

    def seed(self, total: int, pending: int, *, domain: str = "seed.example.com") -> None:
        """Add ``total`` invitations, ``pending`` of them pending, the rest cycling through
        accepted/revoked/expired; created one second apart, newest = pending ones."""
        self.ledger.seed(total, pending, domain=domain)

    def invitation_json(self, inv: FakeInvitation) -> dict[str, Any]:
        """The spec's ``Invitation`` schema."""
        return shapes.invitation_json(inv)

    def invitation_details_json(self, inv: FakeInvitation) -> dict[str, Any]:
        """The spec's ``InvitationDetails`` schema."""
        return shapes.invitation_details_json(inv, self.organization)

    user_json = staticmethod(shapes.user_json)
