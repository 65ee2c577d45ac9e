"""Replies through a `response_url`, checked: a reply that does not land is logged and
sent another way.

Bolt's `respond()` returns Slack's answer (a `WebhookResponse`) and raises only when no
answer came; nothing looked at either, so a reply Slack refused (past 50 blocks, an
expired or used-up response_url) left the user with silence. `CheckedRespond` replaces
the listener's `respond` (Bolt middleware `checked_responses`) and, for every reply:

1. uses the response_url only if it is on Slack's host or the configured SLACK_API_URL's
   (`trust.response_url`), else sends the reply another way at once;
2. redacts the text and blocks like the logs (a secret Gencove quoted never shows);
3. checks the answer: on a failure (`errors.classify`/`errors.from_status`) logs ONE
   line (the failure, never the URL or the text) and sends the reply as an ephemeral note
   in the request's channel, else a DM (`Bot.tell_privately`); blocks Slack cannot take
   are left out there and the text alone is sent.

It still returns Slack's answer (or, when none came, one with status 0), so a caller that
checks `status_code` learns the reply did not land where it asked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.webhook.webhook_response import WebhookResponse

from invite_bot.config.logs import RedactSecrets, redact_json
from invite_bot.slack import trust
from invite_bot.slack.blockkit import MAX_BLOCKS, SECTION_TEXT, Message, ephemeral
from invite_bot.slack.errors import SLACK_FAILURES, SlackFailure, classify, from_status
from invite_bot.slack.inbound import SlackRequest

log = logging.getLogger(__name__)

TellPrivately = Callable[[str, str, Message], Awaitable[bool]]
Respond = Callable[..., Awaitable[Any]]
NO_ANSWER = 0  # the status of a reply that got no HTTP answer at all


def fits_block_kit(blocks: object) -> bool:
    """Whether Slack can take `blocks` as a message's: at most 50, sections within 3000
    characters (text and each field)."""
    if blocks is None:
        return True
    if not isinstance(blocks, Sequence) or len(blocks) > MAX_BLOCKS:
        return False
    for block in blocks:
        if not isinstance(block, Mapping):
            return False
        if block.get("type") == "section":
            texts = [block.get("text"), *(block.get("fields") or [])]
            for text in texts:
                if isinstance(text, Mapping) and len(str(text.get("text") or "")) > SECTION_TEXT:
                    return False
    return True


def redacted(message: Mapping[str, Any], redactor: RedactSecrets | None) -> dict[str, Any]:
    """The reply's arguments with its text and blocks redacted like the logs."""
    out = dict(message)
    if redactor is None:
        return out
    for name in ("text", "blocks", "attachments"):
        if out.get(name) is not None:
            out[name] = redact_json(out[name], redactor)
    return out


def instead(message: Mapping[str, Any], failure: SlackFailure | None) -> Message | None:
    """What to send another way: the reply itself, or its text alone when its blocks are
    what Slack refused (or cannot take); None when there is nothing to show."""
    text = str(message.get("text") or "")
    blocks = message.get("blocks")
    refused_blocks = failure is not None and failure.error.startswith("invalid_blocks")
    if blocks and fits_block_kit(blocks) and not refused_blocks:
        return Message(text=text, blocks=list(blocks))
    return ephemeral(text) if text else None


class CheckedRespond:
    """A listener's `respond`, checked (see the module's docstring)."""

    def __init__(
        self,
        respond: Respond,
        *,
        request: SlackRequest,
        response_url: str,
        hosts: Collection[str],
        tell_privately: TellPrivately,
        redactor: RedactSecrets | None,
    ) -> None:
        self._respond = respond
        self._request = request
        self._url = trust.response_url(response_url, hosts)
        self._tell_privately = tell_privately
        self._redactor = redactor

    async def __call__(self, text: str | dict[str, Any] = "", **kwargs: Any) -> WebhookResponse:
        message = redacted(
            text if isinstance(text, dict) else {**kwargs, "text": text}, self._redactor
        )
        if self._url is None:
            log.warning("a reply's response_url is not on Slack's host; not used")
            await self._another_way(message, None, "was not sent there")
            return _no_answer("untrusted_host")
        try:
            answer = await self._respond(**message)
        except SLACK_FAILURES as exc:
            failure = classify(exc)
            await self._another_way(message, failure, "failed")
            return _no_answer(failure.error)
        if not isinstance(answer, WebhookResponse):
            return answer  # type: ignore[no-any-return]
        body = _error_body(answer.body)
        if answer.status_code == 200 and (body is None or body.get("ok") is not False):
            return answer  # Slack's "ok" (or {"ok": true})
        failure = from_status(answer.status_code, body or {"error": "not_ok"})
        await self._another_way(message, failure, "was refused")
        return answer

    async def _another_way(
        self, message: Mapping[str, Any], failure: SlackFailure | None, what: str
    ) -> None:
        why = f" ({failure.error})" if failure is not None else ""
        shown = None if message.get("delete_original") else instead(message, failure)
        user = self._request.user_id
        if shown is None or user is None:
            log.warning("a reply through response_url %s%s; nothing to send instead", what, why)
            return
        channel = self._request.channel_id or user
        reached = await self._tell_privately(channel, user, shown)
        outcome = "sent as a private note instead" if reached else "and reached nobody"
        log.warning("a reply through response_url %s%s; %s", what, why, outcome)


def checked_responses(
    *,
    hosts: Collection[str],
    tell_privately: TellPrivately,
    redactor: RedactSecrets | None,
    request_of: Callable[[Mapping[str, Any], Any], SlackRequest],
) -> Callable[..., Awaitable[None]]:
    """Bolt middleware: every listener's `respond` is a `CheckedRespond`."""

    async def middleware(
        context: AsyncBoltContext, body: Any, next: Callable[[], Awaitable[None]]
    ) -> None:
        if context.response_url and context.respond is not None:
            context["respond"] = CheckedRespond(
                context.respond,
                request=request_of(context, body),
                response_url=context.response_url,
                hosts=hosts,
                tell_privately=tell_privately,
                redactor=redactor,
            )
        await next()

    return middleware


def _no_answer(error: str) -> WebhookResponse:
    return WebhookResponse(url="", status_code=NO_ANSWER, body=error, headers={})


def _error_body(body: str) -> dict[str, Any] | None:
    """Slack answers a refused response_url post with a word (`invalid_blocks`) or JSON."""
    text = (body or "").strip()
    try:
        data = json.loads(text)
    except ValueError:
        word = text.split()[0] if text else ""
        return {"error": word[:80]} if word.replace("_", "").isalnum() else None
    return data if isinstance(data, dict) else None
