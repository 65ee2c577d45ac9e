"""The one way out: every message, view and file the bot sends Slack goes through `Outbound`.

What holds for all of them is applied here, once:
- **redaction**: text, blocks, views and file contents are redacted like the logs, so a
  secret Gencove quoted never reaches a channel, a modal or a report;
- **the sandbox note**: running against the Gencove sandbox, every message says so;
- **checked answers**: a failure is classified (`errors.classify`), logged in one line
  (never the text or a URL), and returned, never raised: the caller decides what next;
- **exactly once**: a post that carries a key (in Slack message metadata) whose answer was
  lost is looked up in the channel's history before it is repeated;
- **a response_url** is used only on Slack's host or the configured API's.

The ways, from the most public: `post`, `update`, `respond` (a response_url), `ephemeral`,
`dm`; `tell` is the private ladder (response_url, else an ephemeral note, else a DM).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from invite_bot.config.logs import RedactSecrets, redact_json
from invite_bot.slack import trust
from invite_bot.slack.blockkit import Message
from invite_bot.slack.errors import SLACK_FAILURES, SlackFailure, classify, from_status
from invite_bot.slack.reading import Posted, Reading
from invite_bot.slack.sandbox import labelled
from invite_bot.slack.uploads import Uploads
from invite_bot.slack.views import Views

log = logging.getLogger(__name__)

MESSAGE_EVENT = "invite_bot_message"  # the metadata event type of a keyed post
UNTRUSTED = "untrusted_response_url"  # the error of a response_url not on Slack's host
SHOWN_FIELDS = ("text", "blocks", "attachments", "view", "errors")


class Outbound:
    """Sends to Slack for one bot (see the module's docstring)."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        redactor: RedactSecrets | None,
        response_hosts: Collection[str],
        sandbox: bool = False,
    ) -> None:
        self.client = client
        self._redactor = redactor
        self._hosts = frozenset(response_hosts)
        self._sandbox = sandbox
        self._dms: dict[str, str] = {}  # user -> the bot's conversation with them
        self.reading = Reading(client)
        self.views = Views(client, self._json)
        self.uploads = Uploads(client, self.redact)

    # -- what is shown ------------------------------------------------------------------

    def shown(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """A message's arguments as Slack will show them: redacted, and labelled when
        running against the sandbox (an acknowledgement's body goes through here too)."""
        out = self._redacted(payload, SHOWN_FIELDS)
        # A modal's answer (errors, update, push, clear) is no message: no note there.
        is_message = "response_action" not in out and not out.get("delete_original")
        if self._sandbox and is_message and (out.get("text") or out.get("blocks")):
            out = labelled(out)
        return out

    def _redacted(self, payload: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
        out = dict(payload)
        if self._redactor is not None:
            for name in fields:
                if out.get(name) is not None:
                    out[name] = redact_json(out[name], self._redactor)
        return out

    def learn(self, secret: str) -> None:
        """Redact `secret` too from now on (a key learned at run time)."""
        if self._redactor is not None:
            self._redactor.add(secret)

    def redact(self, text: str) -> str:
        return self._redactor.redact(text) if self._redactor is not None else text

    def _json(self, value: Any) -> Any:
        return redact_json(value, self._redactor) if self._redactor is not None else value

    # -- messages in a conversation -------------------------------------------------------

    async def post(
        self,
        channel: str,
        message: Message,
        *,
        keys: Sequence[str] = (),
        since: datetime | None = None,
        event_type: str = MESSAGE_EVENT,
        look_first: bool = False,
        thread_ts: str | None = None,
    ) -> Posted | SlackFailure:
        """Post `message` once. With `keys` (and `since`, when the message may be older
        than a minute) an answer that cannot be read is checked in the history before one
        more try; `look_first`: the message may be there already (a resumed job)."""
        if look_first and keys:
            found = await self.reading.find_posted(channel, key=keys[0], since=since)
            if isinstance(found, Posted) or (found is not None and found.outcome != "refused"):
                return found  # there, or it cannot be told now: try again later
        metadata = _metadata(event_type, keys) if keys else None
        for attempt in (1, 2):
            sent = await self._post_once(channel, message, metadata, thread_ts)
            if isinstance(sent, Posted) or not sent.may_have_happened or not keys:
                return sent
            found = await self.reading.find_posted(channel, key=keys[0], since=since)
            if isinstance(found, Posted):
                log.info("a post to %s whose answer was lost had landed", channel)
                return found
            if found is not None:
                return sent  # it cannot be checked now: do not risk a second copy
            log.info("a post to %s whose answer was lost had not landed", channel)
            if attempt == 2:
                return SlackFailure("later", sent.error, sent.status)  # safe to try later
        raise AssertionError("unreachable")

    async def _post_once(
        self,
        channel: str,
        message: Message,
        metadata: dict[str, Any] | None,
        thread_ts: str | None,
    ) -> Posted | SlackFailure:
        shown = self.shown({"text": message.text, "blocks": message.blocks})
        extra: dict[str, Any] = {"metadata": metadata} if metadata else {}
        if thread_ts:
            extra["thread_ts"] = thread_ts
        try:
            response = await self.client.chat_postMessage(
                channel=channel, unfurl_links=False, **shown, **extra
            )
        except SLACK_FAILURES as exc:
            return classify(exc)
        ts = response.get("ts")
        if not ts:
            return SlackFailure("unknown", "unreadable_answer", response.status_code)
        return Posted(str(response.get("channel") or channel), str(ts))

    async def update(self, where: Posted, message: Message) -> SlackFailure | None:
        """Replace the message at `where`; None once done. An update shows the same however
        often it lands, so an unreadable answer is simply repeated once."""
        shown = self.shown({"text": message.text, "blocks": message.blocks})
        failure: SlackFailure | None = None
        for _ in range(2):
            try:
                await self.client.chat_update(channel=where.channel, ts=where.ts, **shown)
                return None
            except SLACK_FAILURES as exc:
                failure = classify(exc)
            if not failure.may_have_happened:
                break
        return failure

    # -- to one person ----------------------------------------------------------------------

    async def respond(
        self,
        response_url: str | None,
        message: Message | None,
        *,
        public: bool = False,
        replace: bool = False,
        delete: bool = False,
    ) -> SlackFailure | None:
        """Through a `response_url`; None once Slack took it."""
        url = trust.response_url(response_url, self._hosts)
        if url is None:
            if response_url:
                log.warning("a response_url not on Slack's host was not used")
            return SlackFailure("refused", UNTRUSTED)
        body: dict[str, Any] = (
            {"delete_original": True}
            if delete
            else {
                "text": message.text if message else "",
                "blocks": message.blocks if message else None,
                "response_type": "in_channel" if public else "ephemeral",
                "replace_original": replace,
            }
        )
        webhook = AsyncWebhookClient(url, timeout=10, session=self.client.session)
        try:
            answer = await webhook.send_dict(self.shown(body))
        except SLACK_FAILURES as exc:
            failure = classify(exc)
        else:
            error = _error_body(answer.body)
            if answer.status_code == 200 and (error is None or error.get("ok") is not False):
                return None
            failure = from_status(answer.status_code, error or {"error": "not_ok"})
        return failure

    async def ephemeral(self, channel: str, user: str, message: Message) -> SlackFailure | None:
        shown = self.shown({"text": message.text, "blocks": message.blocks})
        try:
            await self.client.chat_postEphemeral(channel=channel, user=user, **shown)
        except SLACK_FAILURES as exc:
            return classify(exc)
        return None

    async def dm(self, user: str, message: Message) -> Posted | SlackFailure:
        """A message in the bot's conversation with `user` (Slack takes a user id there)."""
        return await self.post(user, message)

    async def conversation_with(self, user: str) -> str | SlackFailure:
        """The id of the bot's conversation with `user` (opened once, then remembered)."""
        if user[:1] not in ("U", "W"):
            return user  # a channel (or a conversation id) already
        if user not in self._dms:
            try:
                opened = await self.client.conversations_open(users=user)
            except SLACK_FAILURES as exc:
                return classify(exc)
            self._dms[user] = str((opened.get("channel") or {}).get("id") or user)
        return self._dms[user]

    async def tell(
        self,
        user: str,
        message: Message,
        *,
        channel: str | None = None,
        response_url: str | None = None,
    ) -> bool:
        """Privately, by the first way that works: the response_url, an ephemeral note in
        `channel`, a DM. False when none did (logged)."""
        if response_url and await self.respond(response_url, message) is None:
            return True
        if channel:
            failure = await self.ephemeral(channel, user, message)
            if failure is None:
                return True
            log.info("no ephemeral note in %s (%s); sending a DM", channel, failure.error)
        sent = await self.dm(user, message)
        if isinstance(sent, SlackFailure):
            log.error("a note to %s reached nobody (%s)", user, sent.error)
            return False
        return True

    # -- workflow steps ----------------------------------------------------------------------

    async def complete_step(
        self, execution_id: str, outputs: Mapping[str, Any]
    ) -> SlackFailure | None:
        """Tell Slack a Workflow Builder step succeeded, with its outputs (redacted)."""
        shown = self._json(dict(outputs))
        try:
            await self.client.functions_completeSuccess(
                function_execution_id=execution_id, outputs=shown
            )
        except SLACK_FAILURES as exc:
            return classify(exc)
        return None

    async def fail_step(self, execution_id: str, error: str) -> SlackFailure | None:
        """Tell Slack a Workflow Builder step failed, with a person-readable reason."""
        try:
            await self.client.functions_completeError(
                function_execution_id=execution_id, error=self.redact(error)
            )
        except SLACK_FAILURES as exc:
            return classify(exc)
        return None


def _metadata(event_type: str, keys: Sequence[str]) -> dict[str, Any]:
    payload: dict[str, Any] = {"key": keys[0]}
    if len(keys) > 1:
        payload["keys"] = list(keys)
    return {"event_type": event_type, "event_payload": payload}


def _error_body(body: str) -> dict[str, Any] | None:
    """Slack answers a refused response_url post with a word (`invalid_blocks`) or JSON."""
    text = (body or "").strip()
    try:
        data = json.loads(text)
    except ValueError:
        word = text.split()[0] if text else ""
        return {"error": word[:80]} if word.replace("_", "").isalnum() else None
    return data if isinstance(data, dict) else None
