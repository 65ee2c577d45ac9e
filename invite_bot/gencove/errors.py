"""Gencove's answers decoded in one pure function: data, or a typed error.

Every error carries `message`, a sentence safe to show a Slack user: it is taken from
Gencove's own `detail`, field messages or maintenance notice (see `messages`), never from
the request, so it can never contain a credential. Callers escape it for Slack.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from invite_bot.gencove.messages import (
    MAX_MESSAGE,
    cap,
    detail_of,
    field_messages,
    json_or_none,
    maintenance_of,
    maintenance_sentence,
    readable,
    retry_after,
)

__all__ = [
    "MAX_MESSAGE",
    "GencoveConnectionError",
    "GencoveError",
    "GencoveForbidden",
    "GencoveInvalidId",
    "GencoveMaintenance",
    "GencoveNoLongerPending",
    "GencoveNotFound",
    "GencoveProtocolError",
    "GencoveRateLimited",
    "GencoveServerError",
    "GencoveTimeout",
    "GencoveUnauthorized",
    "GencoveUncertain",
    "GencoveUnreadable",
    "GencoveValidationError",
    "decode_response",
]

UNREADABLE = "Gencove sent an answer the bot could not read."
NOT_UNDERSTOOD = "Gencove sent an answer the bot could not understand."
TOO_LARGE = "Gencove sent an answer too large to read."


class GencoveError(Exception):
    """Base of every failure talking to Gencove."""

    retryable = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class GencoveValidationError(GencoveError):
    """400: Gencove refused the request; `fields` maps a field to its messages."""

    def __init__(self, message: str, fields: Mapping[str, list[str]]) -> None:
        super().__init__(message, status=400)
        self.fields = dict(fields)


class GencoveUnauthorized(GencoveError):
    """401: the credentials are missing, wrong or revoked."""


class GencoveForbidden(GencoveError):
    """403: the credentials are valid but may not do this."""


class GencoveNotFound(GencoveError):
    """404: no such invitation, token or path."""


class GencoveRateLimited(GencoveError):
    """429: Gencove throttled the request; `retry_after` is in seconds."""

    retryable = True

    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message, status=429)
        self.retry_after = retry_after


class GencoveServerError(GencoveError):
    """5xx: Gencove failed. 502, 503 and 504 are worth another try (after `retry_after`
    seconds when Gencove said so)."""

    def __init__(self, message: str, *, status: int, retry_after: float | None = None) -> None:
        super().__init__(message, status=status)
        self.retryable = status in {502, 503, 504}
        self.retry_after = retry_after


class GencoveMaintenance(GencoveServerError):
    """Gencove is down for maintenance (503 with `"maintenance": true`). Not retried: a
    maintenance lasts far longer than any back-off, and retrying only adds load."""

    def __init__(self, maintenance_message: str | None, eta: str | None, *, status: int) -> None:
        super().__init__(cap(maintenance_sentence(maintenance_message, eta)), status=status)
        self.retryable = False
        self.maintenance_message = maintenance_message
        self.eta = eta


class GencoveTimeout(GencoveError):
    """No answer in time. The request may or may not have taken effect, unless
    `before_sending` (it timed out waiting for a connection or a slot, never sent)."""

    retryable = True

    def __init__(
        self, message: str, *, status: int | None = None, before_sending: bool = False
    ) -> None:
        super().__init__(message, status=status)
        self.before_sending = before_sending


class GencoveConnectionError(GencoveError):
    """The connection failed or was dropped.

    `before_sending` is True only when the connection was never established, so the
    request provably did not reach Gencove.
    """

    retryable = True

    def __init__(self, message: str, *, before_sending: bool) -> None:
        super().__init__(message)
        self.before_sending = before_sending


class GencoveProtocolError(GencoveError):
    """Gencove answered something that is not what its API document promises (a listing
    that never ends, a link to another host, ...)."""


class GencoveUnreadable(GencoveProtocolError):
    """A 2xx answer whose body could not be used: not JSON, the wrong shape, or larger
    than the bot reads. For a write the request DID reach Gencove and may have taken
    effect; `status` is the status Gencove answered with."""


class GencoveUncertain(GencoveError):
    """A write (DELETE, PATCH) whose outcome is unknown: it timed out, the connection was
    dropped after sending, or its answer could not be read. It may have taken effect:
    look at the real state before repeating it. `cause` is the last failure."""

    def __init__(self, message: str, cause: GencoveError) -> None:
        super().__init__(message, status=cause.status)
        self.cause = cause


class GencoveNoLongerPending(GencoveValidationError):
    """A revoke whose answer was lost, after which the invitation is no longer in the
    pending list: most likely this very request revoked it (or it was accepted or expired
    meanwhile). Like Gencove's own 400 "Only pending invitations can be revoked.", it
    tells the caller to find the real status."""

    def __init__(self) -> None:
        super().__init__("The invitation is no longer pending.", {})
        self.status = None


class GencoveInvalidId(GencoveError, ValueError):
    """An identifier that cannot be Gencove's (an invitation id that is no UUID, a token
    that is no single path segment). Raised before any request is made."""


def decode_response(
    status: int, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> Any:
    """Return the decoded JSON body of a successful answer, or raise the typed error.

    `now` (epoch seconds) is what an HTTP-date `Retry-After` is measured from when the
    answer has no `Date` header; by default this machine's clock.
    """
    if 200 <= status < 300:
        if status == 204 or not body.strip():
            return None
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            pass  # raised below, outside this block: the parser's error (and the body it
            # holds, perhaps a token) must not ride along as the error's __context__
        raise GencoveUnreadable(UNREADABLE, status=status)
    payload = json_or_none(body)
    detail = detail_of(payload)
    if status >= 500:
        maintenance = maintenance_of(payload)
        if maintenance is not None:
            raise GencoveMaintenance(*maintenance, status=status)
        said = f" It said: {detail}" if detail else ""
        raise GencoveServerError(
            cap(f"Gencove had a problem (HTTP {status}). Try again shortly.{said}"),
            status=status,
            retry_after=retry_after(headers, now),
        )
    text = detail or readable(payload)
    if status == 400:
        fields = field_messages(payload)
        raise GencoveValidationError(cap(text or "Gencove refused the request."), fields)
    if status == 401:
        raise GencoveUnauthorized(cap(text or "Gencove did not accept the API key."), status=status)
    if status == 403:
        raise GencoveForbidden(cap(text or "The Gencove key may not do this."), status=status)
    if status == 404:
        raise GencoveNotFound(cap(text or "Gencove does not know it."), status=status)
    if status == 429:
        raise GencoveRateLimited(
            cap(text or "Gencove is throttling requests."),
            retry_after=retry_after(headers, now),
        )
    raise GencoveError(cap(text or f"Gencove answered HTTP {status}."), status=status)


def never_reached_gencove(exc: GencoveError) -> bool:
    if isinstance(exc, GencoveRateLimited):
        return True
    return isinstance(exc, GencoveConnectionError | GencoveTimeout) and exc.before_sending


def outcome_unknown(exc: GencoveError) -> bool:
    """A write that failed this way may have taken effect."""
    if isinstance(exc, GencoveUnreadable):
        return True
    return isinstance(exc, GencoveConnectionError | GencoveTimeout) and not exc.before_sending
