"""Gencove's answers decoded in one pure function: data, or a typed error.

Every error carries `message`, a sentence safe to show a Slack user: it is taken from
Gencove's own `detail` or field messages, never from the request, so it can never contain
a credential.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

MAX_MESSAGE = 500


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
    """5xx: Gencove failed. 502, 503 and 504 are worth another try."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message, status=status)
        self.retryable = status in {502, 503, 504}


class GencoveTimeout(GencoveError):
    """No answer in time. The request may or may not have taken effect."""

    retryable = True


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
    """Gencove answered something that is not what its API document promises."""


def decode_response(status: int, headers: Mapping[str, str], body: bytes) -> Any:
    """Return the decoded JSON body of a successful answer, or raise the typed error."""
    if 200 <= status < 300:
        if status == 204 or not body.strip():
            return None
        try:
            return json.loads(body)
        except ValueError:
            raise GencoveProtocolError(
                "Gencove sent an answer the bot could not read.", status=status
            ) from None
    payload = _json_or_none(body)
    detail = _detail(payload)
    if status == 400:
        fields = _field_messages(payload)
        message = detail or _join_fields(fields) or "Gencove refused the request."
        raise GencoveValidationError(_cap(message), fields)
    if status == 401:
        raise GencoveUnauthorized(
            _cap(detail or "Gencove did not accept the API key."), status=status
        )
    if status == 403:
        raise GencoveForbidden(_cap(detail or "The Gencove key may not do this."), status=status)
    if status == 404:
        raise GencoveNotFound(_cap(detail or "Gencove does not know it."), status=status)
    if status == 429:
        raise GencoveRateLimited(
            _cap(detail or "Gencove is throttling requests."),
            retry_after=_retry_after(headers),
        )
    if status >= 500:
        said = f" It said: {detail}" if detail else ""
        raise GencoveServerError(
            _cap(f"Gencove had a problem (HTTP {status}). Try again shortly.{said}"),
            status=status,
        )
    raise GencoveError(_cap(detail or f"Gencove answered HTTP {status}."), status=status)


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def _detail(payload: Any) -> str | None:
    if isinstance(payload, dict):
        detail = payload.get("detail")
        if isinstance(detail, str) and detail.strip():
            return detail.strip()
    return None


def _field_messages(payload: Any) -> dict[str, list[str]]:
    """DRF validation errors: {"field": ["message", ...]} (also nested or plain strings)."""
    fields: dict[str, list[str]] = {}
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key == "detail":
                continue
            messages = value if isinstance(value, list) else [value]
            texts = [m if isinstance(m, str) else json.dumps(m) for m in messages]
            if texts:
                fields[str(key)] = texts
    elif isinstance(payload, list):
        fields["non_field_errors"] = [str(m) for m in payload]
    return fields


def _join_fields(fields: Mapping[str, list[str]]) -> str:
    parts = []
    for name, messages in fields.items():
        text = " ".join(messages)
        parts.append(text if name in {"non_field_errors", "email"} else f"{name}: {text}")
    return " ".join(parts)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("Retry-After") or headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


def _cap(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"
