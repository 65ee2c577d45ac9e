"""Slack's request signing, and sending a request to the bot the way Slack does
(``deliver``: signed, with Slack's retry headers when asked)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

import aiohttp


def sign(
    body: bytes,
    secret: str,
    timestamp: int | None = None,
    *,
    content_type: str | None = None,
) -> dict[str, str]:
    """Slack's request-signing headers for ``body`` (plus Content-Type: JSON if the body
    looks like JSON, else form-encoded)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if content_type is None:
        is_json = body.lstrip().startswith(b"{")
        content_type = "application/json" if is_json else "application/x-www-form-urlencoded"
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
        "Content-Type": content_type,
    }


class SlackDelivery(NamedTuple):
    """What the bot answered to one delivery; unpacks as (status, text, elapsed)."""

    status: int
    text: str
    elapsed: float  # seconds until the whole answer was read

    def json(self) -> Any:
        return json.loads(self.text)


async def deliver(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    secret: str,
    *,
    retry_num: int | None = None,
    retry_reason: str | None = None,
    timestamp: int | None = None,
    signature: str | None = None,
    content_type: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> SlackDelivery:
    """POST ``body`` to the bot like Slack: signed (``signature`` overrides, to test bad
    ones), with X-Slack-Retry-Num / X-Slack-Retry-Reason when given."""
    sent = sign(body, secret, timestamp, content_type=content_type)
    if signature is not None:
        sent["X-Slack-Signature"] = signature
    if retry_num is not None:
        sent["X-Slack-Retry-Num"] = str(retry_num)
    if retry_reason is not None:
        sent["X-Slack-Retry-Reason"] = retry_reason
    sent.update(headers or {})
    start = time.perf_counter()
    async with session.post(url, data=body, headers=sent) as resp:
        text = await resp.text()
        return SlackDelivery(resp.status, text, time.perf_counter() - start)
