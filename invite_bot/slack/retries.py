"""Which failed Slack calls slack_sdk may repeat by itself, before our code sees them.

slack_sdk's stock handlers repeat any call after a dropped connection or a 5xx. For a
post that is how a message appears twice: the request had landed, only the answer was
lost. Here a call is repeated blindly only when repeating cannot make a second effect:

- the connection never opened (nothing was sent);
- or the method is idempotent (an update, a delete, a read), whatever the failure;
- or it is a file upload's first two steps: `files.getUploadURLExternal` (a second URL is
  one more unused upload slot: nothing shows) and the bytes POSTed to that URL (the same
  bytes again). Its last step, `files.completeUploadExternal`, shares the file: never
  repeated blindly.

Anything else (a `chat.postMessage` after a 5xx or a dropped connection) is left to
`invite_bot.slack.errors.classify` ("may have happened"), and `delivery.post` looks in the
channel's history before it posts again. 429 is `AsyncRateLimitErrorRetryHandler`'s.
"""

from __future__ import annotations

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

# Calls whose repetition shows the same thing once: reads, and writes that set a state.
IDEMPOTENT = frozenset(
    {
        "auth.test",
        "chat.update",
        "chat.delete",
        "conversations.history",
        "conversations.info",
        "conversations.members",
        "users.info",
        "usergroups.users.list",
        "views.update",
        "apps.connections.open",
        "conversations.replies",
        "files.getUploadURLExternal",
    }
)
UPLOAD_PATH = "/upload/v1/"  # where files.getUploadURLExternal's URLs take the bytes


def method_of(url: str) -> str:
    """`https://slack.com/api/chat.postMessage?x=1` → `chat.postMessage`."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


class SafeRetry(AsyncRetryHandler):
    """Repeat a failed call only when it cannot take effect twice (see the module doc)."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        idempotent = method_of(request.url) in IDEMPOTENT or UPLOAD_PATH in request.url
        if error is not None:
            if isinstance(error, aiohttp.ClientConnectorError):
                return True  # never connected: nothing was sent
            return idempotent and isinstance(error, (aiohttp.ClientError, TimeoutError))
        if response is None or response.status_code < 500:
            return False
        return idempotent


def retry_handlers() -> list[AsyncRetryHandler]:
    """The handlers every Web API client of the bot uses."""
    return [SafeRetry(max_retry_count=2), AsyncRateLimitErrorRetryHandler(max_retry_count=4)]
