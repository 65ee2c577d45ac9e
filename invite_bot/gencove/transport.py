"""How the client talks to Gencove: one pooled session, one deadline per call, slots,
bodies read up to a cap, and retries with exponential backoff and full jitter that honour
`Retry-After` (seconds or an HTTP date).

Time
----
`timeout` bounds each try; `deadline` (by default twice `timeout`) bounds the whole call:
every try, every back-off and every wait for a slot. A back-off that would end past the
deadline is not waited: the last failure is the answer. A write is tried again only when
a whole try still fits (a try sent with a sliver of time left may take effect at Gencove
and lose its answer, the worst of outcomes). A paged read gives each page its own
deadline; a create shares one across its tries and its lookups.

Invitation creates, the request Gencove limits, wait for their turn at the
organization's pace before they take a slot (`create_pace`): not at all until Gencove
answers 429, then about the rate it accepts. A throttled create still waits out its own
`Retry-After` before it is sent again (`_wait_for`).

Every error raised here is a `GencoveError` without a `__context__`: aiohttp's and the
parsers' exceptions hold URLs, headers and bodies (perhaps a token), so none rides along.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import unquote_plus, urlsplit

import aiohttp
import yarl
from pydantic import SecretStr

from invite_bot.gencove.create_pace import CreatePace, is_create
from invite_bot.gencove.errors import (
    TOO_LARGE,
    GencoveConnectionError,
    GencoveError,
    GencoveNotFound,
    GencoveProtocolError,
    GencoveRateLimited,
    GencoveServerError,
    GencoveTimeout,
    GencoveUncertain,
    GencoveUnreadable,
    GencoveValidationError,
    decode_response,
    outcome_unknown,
)
from invite_bot.gencove.messages import retry_after
from invite_bot.gencove.models import Credentials
from invite_bot.gencove.observe import RequestObserver, operation_of
from invite_bot.gencove.wire import (
    ERROR_CAP,
    LIST_BODY_CAP,
    OBJECT_BODY_CAP,
    BodyTooLarge,
    Deadline,
    Slots,
    read_capped,
    shown,
)

log = logging.getLogger("invite_bot.gencove.client")  # one logger for the whole client

MAX_RETRY_AFTER = 60.0
TIMED_OUT = "Gencove did not answer in time. Try again in a moment."
CUT_OFF = "Gencove's answer was cut off."
UNCONFIRMED = "Gencove did not confirm it, so it may or may not have happened."


@dataclass(slots=True)
class _Try:
    """How far one HTTP try got: sent or not, Gencove's answer, or how it failed."""

    sent: bool = False
    sent_at: float = 0.0  # time.monotonic() as it was sent
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    too_large: bool = False
    failure: GencoveError | None = None


def _failure_of(exc: BaseException, method: str, path: str, *, sent: bool) -> GencoveError:
    """The `GencoveError` for a try that aiohttp or the deadline cut short (logged)."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        log.warning("gencove %s %s: timed out connecting", method, shown(path))
        return GencoveTimeout(TIMED_OUT, before_sending=True)
    if isinstance(exc, TimeoutError):
        log.warning("gencove %s %s timed out", method, shown(path))
        return GencoveTimeout(TIMED_OUT, before_sending=not sent)
    if isinstance(exc, aiohttp.ClientConnectorError):
        log.warning("gencove %s %s: could not connect", method, shown(path))
        return GencoveConnectionError(
            "The bot could not reach Gencove. Try again in a moment.", before_sending=True
        )
    log.warning("gencove %s %s: connection failed (%s)", method, shown(path), type(exc).__name__)
    return GencoveConnectionError(
        "The connection to Gencove failed. Try again in a moment.", before_sending=False
    )


class Transport:
    """The HTTP side of `GencoveClient` (see there for the arguments)."""

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
        deadline: float | None = None,
        observer: RequestObserver | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._request_base = str(yarl.URL(self._base))
        self._origin = _origin(self._base)
        self._org = Credentials.api_key(api_key)
        self._attempt_timeout = timeout
        self._connect_timeout = connect_timeout
        self._deadline = 2 * timeout if deadline is None else deadline
        if self._deadline <= 0:
            raise ValueError("deadline must be positive")
        self._slots = Slots(max_concurrency)
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._session: aiohttp.ClientSession | None = None
        self.requests_sent = 0  # every HTTP attempt, for benchmarks and tests
        self._observer = observer  # the bot's metrics: every try, every retry
        self.create_pace = CreatePace()  # the organization's invitation creates wait here

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
                headers={"Accept": "application/json", "User-Agent": "invite-bot"},
                raise_for_status=False,
            )
            # aiohttp silently sends an idempotent request (GET, DELETE) a second time when
            # the connection drops after sending it. For a DELETE that hides the truth: the
            # first one revoked, the second is refused ("only pending invitations can be
            # revoked"), and the user hears "already revoked". Every retry is ours to make,
            # after looking (see `_request`); aiohttp has no public switch for this one.
            if hasattr(self._session, "_retry_connection"):
                self._session._retry_connection = False
        return self._session

    async def _request(
        self,
        method: str,
        path: str,
        credentials: Credentials | None,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        listing: bool = False,
        expect_body: bool = True,
        deadline: Deadline | None = None,
    ) -> Any:
        """Send with retries (for idempotent requests only), within one deadline."""
        deadline = deadline or Deadline(self._deadline)
        attempt = 0
        ambiguous = False  # an earlier try of this write may have taken effect
        while True:
            attempt += 1
            try:
                return await self._send(
                    method,
                    path,
                    credentials,
                    params=params,
                    json=json,
                    listing=listing,
                    expect_body=expect_body,
                    deadline=deadline,
                )
            except GencoveError as exc:
                if ambiguous and isinstance(exc, (GencoveValidationError, GencoveNotFound)):
                    # Refused now, perhaps because an earlier try did it: unknown, not refused.
                    raise GencoveUncertain(UNCONFIRMED, exc) from exc
                if method in {"DELETE", "PATCH"} and outcome_unknown(exc):
                    ambiguous = True
                if exc.retryable and attempt <= self._max_retries:
                    wait = self._wait_for(exc, attempt)
                    if self.has_time_for(method, wait, deadline):
                        await asyncio.sleep(wait)
                        self._retrying(method, path)
                        continue
                    log.info("gencove %s %s: no time left for another try", method, shown(path))
                if method in {"DELETE", "PATCH"} and outcome_unknown(exc):
                    raise GencoveUncertain(UNCONFIRMED, exc) from exc
                raise

    async def _send(
        self,
        method: str,
        path: str,
        credentials: Credentials | None,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        listing: bool = False,
        expect_body: bool = True,
        deadline: Deadline,
    ) -> Any:
        """One HTTP attempt, decoded. Raises only `GencoveError`s, each without a
        `__context__` (aiohttp's errors hold URLs and request details)."""
        attempt = _Try()
        started = time.monotonic()
        try:
            await self._exchange(
                attempt,
                method,
                path,
                credentials,
                params=params,
                json=json,
                listing=listing,
                deadline=deadline,
            )
        except (TimeoutError, aiohttp.ClientError) as exc:
            attempt.failure = _failure_of(exc, method, path, sent=attempt.sent)
        if attempt.sent:
            self._observe(method, path, attempt.status, attempt.failure, time.monotonic() - started)
        status = attempt.status
        if status is not None and is_create(method, path):
            self.create_pace.answered(attempt.sent_at, status, retry_after(attempt.headers))
        if attempt.failure is not None:
            if method == "POST" and status is not None and 200 <= status < 300:
                # Gencove answered 2xx, then the body was cut off: done, answer unreadable.
                raise GencoveUnreadable(CUT_OFF, status=status)
            raise attempt.failure  # raised here, outside `except`: it has no __context__
        assert status is not None
        elapsed = time.monotonic() - started
        log.debug("gencove %s %s -> %s in %.3fs", method, shown(path), status, elapsed)
        if status >= 400:
            log.info("gencove %s %s -> HTTP %s", method, shown(path), status)
        if 200 <= status < 300 and not expect_body:
            return None
        return self._decode(method, path, attempt, status)

    async def _exchange(
        self,
        attempt: _Try,
        method: str,
        path: str,
        credentials: Credentials | None,
        *,
        params: Mapping[str, str] | None,
        json: Any,
        listing: bool,
        deadline: Deadline,
    ) -> None:
        """Take a slot, send, and read the answer (up to its cap) into `attempt`."""
        creds = credentials or self._org
        headers = {"Authorization": creds.header()}
        session = self._client_session()
        url = yarl.URL(self._request_base + path, encoded=True)  # segments quoted already
        cap = LIST_BODY_CAP if listing else OBJECT_BODY_CAP
        slot = (
            self.create_pace.slot(self._slots, deadline, whole_try=self._attempt_timeout)
            if is_create(method, path)
            else self._slots.take(listing)
        )
        async with slot:
            deadline.start()  # queueing for a slot is not Gencove's time (see Deadline)
            async with asyncio.timeout(max(0.0, deadline.remaining())):
                budget = min(self._attempt_timeout, deadline.remaining())
                timeout = aiohttp.ClientTimeout(
                    total=budget, connect=min(self._connect_timeout, budget)
                )
                self.requests_sent += 1
                attempt.sent, attempt.sent_at = True, time.monotonic()
                async with session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers=headers,
                    timeout=timeout,
                    allow_redirects=False,
                ) as response:
                    attempt.status, attempt.headers = response.status, response.headers
                    try:
                        # an error's body is only read for its message
                        attempt.body = await read_capped(
                            response, cap if response.status < 300 else ERROR_CAP
                        )
                    except BodyTooLarge:
                        response.close()
                        attempt.body, attempt.too_large = b"", True

    def _decode(self, method: str, path: str, attempt: _Try, status: int) -> Any:
        """Gencove's answer to a try that got one: its JSON, or the typed error."""
        if attempt.too_large:
            log.warning(
                "gencove %s %s -> %s: answer too large to read", method, shown(path), status
            )
            if status < 300:
                raise GencoveUnreadable(TOO_LARGE, status=status)
        return decode_response(status, attempt.headers, attempt.body)

    def _observe(
        self,
        method: str,
        path: str,
        status: int | None,
        failure: GencoveError | None,
        seconds: float,
    ) -> None:
        """Tell the observer how one try went (status, else how it failed)."""
        if self._observer is None:
            return
        outcome: int | str
        if status is not None:
            outcome = status
        elif isinstance(failure, GencoveTimeout):
            outcome = "timeout"
        else:
            outcome = "connection_error"
        self._observer.gencove_request(operation_of(method, path), outcome, seconds)

    def _retrying(self, method: str, path: str) -> None:
        if self._observer is not None:
            self._observer.gencove_retry(operation_of(method, path))

    @property
    def deadline(self) -> float:
        """Seconds one call may take with all its tries."""
        return self._deadline

    def has_time_for(self, method: str, wait: float, deadline: Deadline) -> bool:
        """Whether another try fits in the deadline after `wait`. A write needs a whole
        try's time: one sent with a sliver left may take effect and lose its answer."""
        whole_try = 0.0 if method == "GET" else self._attempt_timeout
        return wait + whole_try < deadline.remaining()

    def _wait_for(self, exc: BaseException, attempt: int) -> float:
        """Retry-After when Gencove gave one, else exponential backoff with full jitter."""
        if isinstance(exc, GencoveRateLimited | GencoveServerError) and exc.retry_after is not None:
            return min(exc.retry_after, MAX_RETRY_AFTER)
        ceiling = min(self._backoff_max, self._backoff_base * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)

    def _same_origin(self, url: str) -> tuple[str, dict[str, str]]:
        """Split a `next` link; refuse one that points elsewhere (it would get our key)."""
        try:
            parts = urlsplit(url)
            origin = _origin(url)
        except ValueError:  # e.g. a broken IPv6 host: raised below, without this context
            parts = None
        if parts is None:
            raise GencoveProtocolError("Gencove sent a page link the bot cannot read.")
        if parts.scheme and origin != self._origin:
            raise GencoveProtocolError("Gencove sent a page link to another host.")
        params: dict[str, str] = {}
        for pair in filter(None, parts.query.split("&")):
            key, _, value = pair.partition("=")
            params[unquote_plus(key)] = unquote_plus(value)
        prefix = urlsplit(self._base).path.rstrip("/")
        path = parts.path[len(prefix) :] if prefix and parts.path.startswith(prefix) else parts.path
        return path, params


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()
