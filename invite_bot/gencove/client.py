"""The one asynchronous client for Gencove's invitation API.

One shared `aiohttp.ClientSession` (pooled connections), per-request timeouts, a cap on
requests in flight, and retries with exponential backoff and jitter (tenacity) that honour
`Retry-After`. Responses are decoded by the pure `decode_response`.

Retry rules
-----------
* GET, DELETE and the token PATCH are retried on 429, 502, 503, 504, timeouts and
  connection errors: repeating them cannot do anything twice. (A DELETE whose first
  attempt took effect answers 400/404 on the retry; callers re-read the real status.)
* POST (create) must never produce two invitations. It is retried as is only when the
  request provably never reached Gencove: the connection could not be opened, or Gencove
  throttled it (429 is answered before the view runs). After any other failure the request
  may have taken effect, so the pending list is searched for the address first: if an
  invitation is there, that one is returned; only if none is found is the POST sent again.
  A POST answered with "already pending" after such an ambiguous failure is resolved the
  same way. The remaining window (an earlier attempt still in flight at Gencove while the
  list is read) is closed by Gencove itself refusing a second pending invitation for an
  address.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote, unquote_plus, urlsplit

import aiohttp
from pydantic import BaseModel, SecretStr, ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from invite_bot.gencove.errors import (
    GencoveConnectionError,
    GencoveError,
    GencoveProtocolError,
    GencoveRateLimited,
    GencoveTimeout,
    GencoveValidationError,
    decode_response,
)
from invite_bot.gencove.models import (
    Credentials,
    Invitation,
    InvitationDetails,
    InvitationPage,
    ListStatus,
    Role,
    User,
)

log = logging.getLogger(__name__)

API = "/api/v2"
MAX_PAGE_SIZE = 100
MAX_RETRY_AFTER = 60.0

M = TypeVar("M", bound=BaseModel)


class GencoveClient:
    """Talks to Gencove as the organization (its API key) or as a given user.

    Use as an async context manager, or call `close()`.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | SecretStr,
        *,
        timeout: float = 30.0,
        connect_timeout: float = 5.0,
        max_concurrency: int = 8,
        max_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 20.0,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._origin = _origin(self._base)
        self._org = Credentials.api_key(api_key)
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=connect_timeout)
        self._slots = asyncio.Semaphore(max_concurrency)
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._session: aiohttp.ClientSession | None = None
        self.requests_sent = 0  # every HTTP attempt, for benchmarks and tests

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=100, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                headers={"Accept": "application/json", "User-Agent": "invite-bot"},
                raise_for_status=False,
            )
        return self._session

    # -- invitations --------------------------------------------------------------------

    async def create_invitation(
        self, email: str, role: str = "", *, credentials: Credentials | None = None
    ) -> Invitation:
        """Invite `email` to the organization; never creates two invitations (see module)."""
        body = {"email": email, "role": role}
        attempts = self._max_retries + 1
        ambiguous = False
        for attempt in range(1, attempts + 1):
            try:
                data = await self._send("POST", f"{API}/invitations/", credentials, json=body)
                return _parse(Invitation, data)
            except GencoveValidationError:
                if not ambiguous:
                    raise
                # An earlier attempt may have created it: that one is the answer.
                existing = await self.find_pending(email, credentials=credentials)
                if existing is None:
                    raise
                return existing
            except GencoveError as exc:
                if not exc.retryable or attempt == attempts:
                    raise
                if _never_reached_gencove(exc):
                    await asyncio.sleep(self._wait_for(exc, attempt))
                    continue
                ambiguous = True
                await asyncio.sleep(self._wait_for(exc, attempt))
                existing = await self.find_pending(email, credentials=credentials)
                if existing is not None:
                    log.info("gencove create recovered an invitation made by an earlier try")
                    return existing
        raise AssertionError("unreachable")  # pragma: no cover

    async def list_invitations_page(
        self,
        status: ListStatus = "pending",
        limit: int = MAX_PAGE_SIZE,
        offset: int = 0,
        *,
        credentials: Credentials | None = None,
    ) -> InvitationPage:
        """One page of the organization's invitations, with the total `count`."""
        params = {"status": status, "limit": str(limit), "offset": str(offset)}
        data = await self._request("GET", f"{API}/invitations/", credentials, params=params)
        return _page(data)

    async def iter_invitations(
        self,
        status: ListStatus = "pending",
        page_size: int = MAX_PAGE_SIZE,
        *,
        credentials: Credentials | None = None,
    ) -> AsyncIterator[Invitation]:
        """Every invitation with `status`, following `meta.next` across pages."""
        async for page in self.iter_pages(status, page_size, credentials=credentials):
            for invitation in page.results:
                yield invitation

    async def iter_pages(
        self,
        status: ListStatus = "pending",
        page_size: int = MAX_PAGE_SIZE,
        *,
        credentials: Credentials | None = None,
    ) -> AsyncIterator[InvitationPage]:
        """The pages of a listing, in order; stop iterating to stop fetching."""
        page = await self.list_invitations_page(status, page_size, 0, credentials=credentials)
        yield page
        while page.next:
            path, params = self._same_origin(page.next)
            data = await self._request("GET", path, credentials, params=params)
            page = _page(data)
            yield page

    async def find_pending(
        self, email: str, *, credentials: Credentials | None = None
    ) -> Invitation | None:
        """The pending invitation for `email` (case-insensitive), if there is one."""
        wanted = email.strip().lower()
        async for invitation in self.iter_invitations("pending", credentials=credentials):
            if (invitation.email or "").lower() == wanted:
                return invitation
        return None

    async def revoke_invitation(
        self, invitation_id: str, *, credentials: Credentials | None = None
    ) -> None:
        """Revoke a pending invitation (`DELETE /api/v2/invitations/{id}`)."""
        await self._request("DELETE", f"{API}/invitations/{invitation_id}", credentials)

    # -- invitee side -------------------------------------------------------------------

    async def get_invitation_by_token(
        self, token: str, *, credentials: Credentials | None = None
    ) -> InvitationDetails:
        data = await self._request("GET", f"{API}/invitations-token/{_segment(token)}", credentials)
        return _parse(InvitationDetails, data)

    async def accept_invitation(self, token: str, credentials: Credentials) -> InvitationDetails:
        """Accept as the invitee. Credentials are required: never the organization key."""
        if credentials == self._org:
            raise ValueError("an invitation must be accepted with the invitee's own key")
        data = await self._request(
            "PATCH", f"{API}/invitations-token/{_segment(token)}", credentials, json={}
        )
        return _parse(InvitationDetails, data)

    # -- organization and user ----------------------------------------------------------

    async def list_roles(self) -> list[Role]:
        """The organization's roles, every page."""
        roles: list[Role] = []
        path, params = f"{API}/roles/organization", {"limit": str(MAX_PAGE_SIZE)}
        while True:
            data = await self._request("GET", path, None, params=params)
            if not isinstance(data, dict) or not isinstance(data.get("results"), list):
                raise GencoveProtocolError("Gencove sent an unexpected list of roles.")
            roles.extend(_parse(Role, item) for item in data["results"])
            nxt = _meta(data).get("next")
            if not nxt:
                return roles
            path, params = self._same_origin(nxt)

    async def current_user(self, credentials: Credentials | None = None) -> User:
        """The Gencove user behind `credentials` (the organization key by default)."""
        return _parse(User, await self._request("GET", f"{API}/user/", credentials))

    # -- transport ----------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        credentials: Credentials | None,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> Any:
        """Send with retries (for idempotent requests only)."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_retries + 1),
            retry=retry_if_exception(lambda e: isinstance(e, GencoveError) and e.retryable),
            wait=self._tenacity_wait,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._send(method, path, credentials, params=params, json=json)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(
        self,
        method: str,
        path: str,
        credentials: Credentials | None,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> Any:
        """One HTTP attempt, decoded. Raises only `GencoveError`s."""
        creds = credentials or self._org
        headers = {"Authorization": creds.header()}
        session = self._client_session()
        started = time.monotonic()
        async with self._slots:
            self.requests_sent += 1
            try:
                async with session.request(
                    method, self._base + path, params=params, json=json, headers=headers
                ) as response:
                    body = await response.read()
                    status, response_headers = response.status, response.headers
            except TimeoutError:
                log.warning("gencove %s %s timed out", method, _shown(path))
                raise GencoveTimeout(
                    "Gencove did not answer in time. Try again in a moment."
                ) from None
            except aiohttp.ClientConnectorError:
                log.warning("gencove %s %s: could not connect", method, _shown(path))
                raise GencoveConnectionError(
                    "The bot could not reach Gencove. Try again in a moment.",
                    before_sending=True,
                ) from None
            except aiohttp.ClientError as exc:
                log.warning(
                    "gencove %s %s: connection failed (%s)",
                    method,
                    _shown(path),
                    type(exc).__name__,
                )
                raise GencoveConnectionError(
                    "The connection to Gencove failed. Try again in a moment.",
                    before_sending=False,
                ) from None
        elapsed = time.monotonic() - started
        log.debug("gencove %s %s -> %s in %.3fs", method, _shown(path), status, elapsed)
        if status >= 400:
            log.info("gencove %s %s -> HTTP %s", method, _shown(path), status)
        return decode_response(status, response_headers, body)

    def _wait_for(self, exc: BaseException, attempt: int) -> float:
        """Retry-After when Gencove gave one, else exponential backoff with full jitter."""
        if isinstance(exc, GencoveRateLimited) and exc.retry_after is not None:
            return min(exc.retry_after, MAX_RETRY_AFTER)
        ceiling = min(self._backoff_max, self._backoff_base * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)

    def _tenacity_wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return self._wait_for(exc or Exception(), state.attempt_number)

    def _same_origin(self, url: str) -> tuple[str, dict[str, str]]:
        """Split a `next` link; refuse one that points elsewhere (it would get our key)."""
        parts = urlsplit(url)
        if parts.scheme and _origin(url) != self._origin:
            raise GencoveProtocolError("Gencove sent a page link to another host.")
        params: dict[str, str] = {}
        for pair in filter(None, parts.query.split("&")):
            key, _, value = pair.partition("=")
            params[_unquote(key)] = _unquote(value)
        prefix = urlsplit(self._base).path.rstrip("/")
        path = parts.path[len(prefix) :] if prefix and parts.path.startswith(prefix) else parts.path
        return path, params


def _shown(path: str) -> str:
    """The path for logs: an invitation token is half a secret, so it is left out."""
    head, marker, _token = path.partition("/invitations-token/")
    return f"{head}{marker}…" if marker else path


def _never_reached_gencove(exc: GencoveError) -> bool:
    if isinstance(exc, GencoveRateLimited):
        return True
    return isinstance(exc, GencoveConnectionError) and exc.before_sending


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _unquote(text: str) -> str:
    return unquote_plus(text)


def _segment(token: str) -> str:
    return quote(token, safe="")


def _page(data: Any) -> InvitationPage:
    if not isinstance(data, dict):
        raise GencoveProtocolError("Gencove sent an unexpected list of invitations.")
    meta = _meta(data)
    return _parse(
        InvitationPage,
        {
            "count": meta.get("count", len(data.get("results") or [])),
            "next": meta.get("next"),
            "previous": meta.get("previous"),
            "results": data.get("results") or [],
        },
    )


def _meta(data: dict[str, Any]) -> dict[str, Any]:
    """A listing's `meta` object (empty if absent); anything else is a protocol error."""
    meta = data.get("meta") or {}
    if not isinstance(meta, dict):
        raise GencoveProtocolError("Gencove sent an answer the bot could not understand.")
    return meta


def _parse(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError:
        raise GencoveProtocolError("Gencove sent an answer the bot could not understand.") from None
