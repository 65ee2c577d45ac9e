"""What a failed Slack call means, decided in one place (pure: no I/O).

Every Slack call site catches `SLACK_FAILURES` and asks `classify` what happened:

- **refused**: Slack read the request and said no (`channel_not_found`, `invalid_blocks`…).
  Repeating it changes nothing; say so, or send it another way.
- **later**: it did not happen and may work later (rate limited, a connection that never
  opened). Safe to repeat.
- **unknown**: the request was sent but the answer cannot be read (a timeout, a dropped
  connection, cut-off or non-JSON body), or Slack failed on its side (any 5xx, 503
  included: Slack does not promise it did nothing). It MAY have taken effect: look (the
  channel's history, by the message's metadata) before repeating anything that is not
  idempotent.

A `SlackApiError` does not always carry a readable response: for a body that is not JSON
slack_sdk passes the raw aiohttp response, and `exc.response.get(...)` then raises
AttributeError inside the handler. `classify` never assumes more than it can see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.web.slack_response import SlackResponse

Outcome = Literal["refused", "later", "unknown"]

SLACK_FAILURES: tuple[type[BaseException], ...] = (
    SlackApiError,
    aiohttp.ClientError,
    TimeoutError,
)

# Slack's own words for "something broke on our side": the call may or may not have landed.
UNCERTAIN_ERRORS = frozenset({"internal_error", "fatal_error", "request_timeout"})
LATER_ERRORS = frozenset({"ratelimited", "rate_limited"})
# Where the bot cannot post, but Slack's response_url (or a DM) still reaches the user.
CANNOT_POST = frozenset({"not_in_channel", "channel_not_found", "is_archived", "restricted_action"})

SENTENCES: Mapping[Outcome, str] = {
    "refused": "Slack refused it",
    "later": "Slack is busy right now",
    "unknown": "Slack's answer could not be read, so it may or may not have gone through",
}


@dataclass(frozen=True)
class SlackFailure:
    """One failed Slack call: what it means, Slack's error code, and when to try again."""

    outcome: Outcome
    error: str  # Slack's error code, or the kind of transport failure; never free text
    status: int | None = None
    retry_after: float | None = None

    @property
    def may_have_happened(self) -> bool:
        return self.outcome == "unknown"

    @property
    def cannot_post_here(self) -> bool:
        """The bot may not post in that conversation (response_url or a DM still can)."""
        return self.outcome == "refused" and self.error in CANNOT_POST

    @property
    def sentence(self) -> str:
        """For people: what happened, without Slack's internals beyond the error code."""
        if self.outcome == "refused":
            return f"{SENTENCES['refused']} ({self.error})"
        return SENTENCES[self.outcome]


def classify(exc: BaseException) -> SlackFailure:
    """What `exc`, raised by a Slack call (Web API, response_url), says about it."""
    if isinstance(exc, SlackApiError):
        return _from_api_error(exc)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return SlackFailure("later", "connection_failed")  # nothing was sent
    if isinstance(exc, TimeoutError):
        return SlackFailure("unknown", "timeout")
    if isinstance(exc, aiohttp.ClientResponseError):
        return from_status(exc.status)
    if isinstance(exc, aiohttp.ClientError):
        return SlackFailure("unknown", "connection_lost")
    return SlackFailure("unknown", type(exc).__name__)


def from_status(status: int, body: Mapping[str, Any] | None = None) -> SlackFailure:
    """An HTTP answer whose status (and, if readable, JSON body) says it failed."""
    error = str((body or {}).get("error") or f"http_{status}")[:80]
    if status == 429 or error in LATER_ERRORS:
        return SlackFailure("later", error, status)
    if status >= 500 or error in UNCERTAIN_ERRORS:
        return SlackFailure("unknown", error, status)
    if status == 200 and not body:
        return SlackFailure("unknown", "unreadable_answer", status)
    return SlackFailure("refused", error, status)


def _from_api_error(exc: SlackApiError) -> SlackFailure:
    response = exc.response
    if not isinstance(response, (AsyncSlackResponse, SlackResponse)):
        # slack_sdk hands over the raw HTTP response when the body is not JSON.
        return SlackFailure("unknown", "unreadable_answer", getattr(response, "status", None))
    data = response.data if isinstance(response.data, Mapping) else None
    failure = from_status(response.status_code, data)
    if failure.outcome == "later":
        return SlackFailure("later", failure.error, failure.status, _retry_after(response))
    return failure


def _retry_after(response: AsyncSlackResponse | SlackResponse) -> float | None:
    headers = response.headers or {}
    raw = headers.get("Retry-After") or headers.get("retry-after")
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    try:
        seconds = float(raw) if raw is not None else None
    except ValueError:
        return None
    return min(max(seconds, 0.0), 3600.0) if seconds is not None else None
