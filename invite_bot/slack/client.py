"""Slack's Web API client, observed in one place: every call the bot makes, whatever the
listener, goes through `api_call`, which counts it by method and outcome and logs one
DEBUG line (method, outcome, time; never arguments) under the request's id.

What the bot shows people is redacted before it gets here, by `slack.outbound`.

`like()` makes a copy (Bolt's, without a token) that keeps the observer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from invite_bot.slack.errors import classify

log = logging.getLogger("invite_bot.slack.calls")


class CallObserver(Protocol):
    def slack_call(self, method: str, outcome: str, seconds: float) -> None:
        """One Web API call ended: "ok", "error", "rate_limited" or "unreachable"."""


def outcome_of(error: BaseException | None) -> str:
    if error is None:
        return "ok"
    if isinstance(error, SlackApiError):
        status = getattr(error.response, "status_code", None)
        return "rate_limited" if status == 429 else "error"
    return "unreachable"


class ObservedWebClient(AsyncWebClient):
    """`AsyncWebClient` whose every call is reported to `observer` (when there is one)."""

    def __init__(
        self,
        *args: Any,
        observer: CallObserver | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.observer = observer

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        started = time.monotonic()
        try:
            response = await super().api_call(api_method, **kwargs)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            self._observe(api_method, exc, started)
            raise
        self._observe(api_method, None, started)
        return response

    def _observe(self, method: str, error: BaseException | None, started: float) -> None:
        seconds = time.monotonic() - started
        outcome = outcome_of(error)
        detail = f" ({classify(error).error})" if error is not None else ""
        log.debug("slack %s -> %s%s in %.3fs", method, outcome, detail, seconds)
        if self.observer is not None:
            self.observer.slack_call(method, outcome, seconds)


def like(
    client: AsyncWebClient,
    *,
    token: str | None = None,
    retry_handlers: Sequence[AsyncRetryHandler] | None = None,
) -> AsyncWebClient:
    """A client of the same class, base URL, session and timeout (and observer)."""
    options: dict[str, Any] = {
        "token": token,
        "base_url": client.base_url,
        "session": client.session,
        "timeout": client.timeout,
        "retry_handlers": list(client.retry_handlers if retry_handlers is None else retry_handlers),
    }
    if isinstance(client, ObservedWebClient):
        options["observer"] = client.observer
    return type(client)(**options)
