"""The local Slack's client side: people typing commands, clicking and submitting modals,
and what each of them then sees in a conversation.

Everything a person does reaches the bot as Slack would send it: a signed request to its
`/slack/events` with a real `response_url` and `trigger_id` from the local Slack. What
comes back is shown where Slack shows it: the ack body and `chat.postEphemeral` to the
person only ("Only visible to you"), `chat.postMessage` and `chat.update` to everyone in
the channel, `response_url` posts by their `response_type` (replacing the message they
came from when asked to), and `views.open/push/update` as the person's open modal.

`LocalSlack` here is what people do and see; the modals open on each person's screen
(and what a submission's values become) are `modals.py`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp

from invite_bot.domain.command.refs import invitation_token
from invite_bot.playground.entries import Delivery, Entry, seen_in
from invite_bot.playground.modals import Modals, ViewState, json_object, state_values
from invite_bot.playground.slack import (
    FakeSlack,
    Message,
    SlackDelivery,
    block_action_body,
    deliver,
    slash_command_body,
    view_closed_body,
    view_submission_body,
)
from invite_bot.playground.world import BOT_USER_ID, TEAM_ID, Channel, Person

ACK_DEADLINE = 3.0  # seconds: Slack shows "operation_timeout" to a slower app

__all__ = ["ACK_DEADLINE", "Delivery", "Entry", "LocalSlack"]


@dataclass(frozen=True)
class _Origin:
    """Where a response_url came from, so its posts land where Slack puts them."""

    user_id: str
    channel_id: str
    message_ts: str | None = None  # a click on a channel message
    entry_id: str | None = None  # a click on an ephemeral message


class LocalSlack:
    """Slack's side of the conversation with the bot, for the playground's people."""

    def __init__(
        self, slack: FakeSlack, bot_url: str, signing_secret: str, session: aiohttp.ClientSession
    ) -> None:
        self.slack = slack
        self.events_url = bot_url.rstrip("/") + "/slack/events"
        self._secret = signing_secret
        self._session = session
        self.clock_offset = time.time() - time.monotonic()
        self._private: list[Entry] = []
        self._numbers = iter(range(1, 1 << 62))
        self._origins: dict[str, _Origin] = {}  # response_url id -> origin
        self._last_post: dict[str, str] = {}  # response_url id -> entry it last posted
        self._modals = Modals(slack)  # each person's open modals
        self._seen_calls = 0
        self._seen_ephemerals = 0
        self.deliveries: list[Delivery] = []
        self.changes = 0  # grows whenever something a person sees may have changed

    # -- what people do -------------------------------------------------------------

    async def command(self, who: Person, where: Channel, text: str) -> SlackDelivery:
        """`/gencove <text>` typed by `who` in `where`."""
        self._add(
            Entry(
                self._entry_id(),
                "command",
                where.channel_id,
                time.time(),
                who.user_id,
                f"/gencove {text}".rstrip(),
                None,
                visible_to=who.user_id,
            )
        )
        url, rid = self._response_url(_Origin(who.user_id, where.channel_id))
        body = slash_command_body(
            text,
            user_id=who.user_id,
            channel_id=where.channel_id,
            team_id=TEAM_ID,
            response_url=url,
            trigger_id=self._modals.trigger_for(who.user_id),
            user_name=who.name,
            channel_name=where.name,
        )
        answer = await self.send("slash command", _masked(f"/gencove {text}")[:160], body)
        self._show_ack(answer, who, where, rid, what="/gencove")
        return answer

    async def click(
        self,
        who: Person,
        where: Channel,
        entry_id: str,
        action_id: str,
        *,
        block_id: str | None = None,
        value: str | None = None,
    ) -> SlackDelivery:
        """A click on a button (or a choice in a select) of a message the person sees."""
        entry = self.entry(who, where, entry_id)
        if entry is None:
            raise KeyError(entry_id)
        kind = _element_kind(entry.blocks, action_id, block_id)
        selected = (
            {"text": {"type": "plain_text", "text": value or ""}, "value": value or ""}
            if kind != "button"
            else None
        )
        message: Message | list[Any]
        container: Literal["message", "ephemeral"]
        if entry.kind == "message" and entry.ts is not None:  # a message in the channel
            message = self.slack.messages[(where.channel_id, entry.ts)]
            message_ts, container = entry.ts, "message"
            origin = _Origin(who.user_id, where.channel_id, message_ts=entry.ts)
            url, _ = self._response_url(origin, bind=(where.channel_id, entry.ts))
        else:  # an ephemeral note: Slack sends no message with the click
            message, message_ts, container = entry.blocks or [], None, "ephemeral"
            url, _ = self._response_url(_Origin(who.user_id, where.channel_id, entry_id=entry.id))
        body = block_action_body(
            action_id,
            value,
            who.user_id,
            where.channel_id,
            message_ts,
            message,
            url,
            container,
            block_id,
            self._modals.trigger_for(who.user_id),
            team_id=TEAM_ID,
            user_name=who.name,
            action_type=kind,
            selected_option=selected,
        )
        answer = await self.send("block_actions", f"{action_id} in {where.name}", body)
        if answer.status != 200:
            self._slack_says(who, where, "That didn't work. Please try again.")
        return answer

    async def submit(self, who: Person, values: Mapping[str, Mapping[str, Any]]) -> SlackDelivery:
        """The person's open modal, submitted with `values` ({block_id: {action_id: …}})."""
        state = self._top(who)
        if state is None:
            raise LookupError("no open modal")
        opened = self._modals.opened(state.view_id)
        view = opened.view
        body = view_submission_body(
            str(view.get("callback_id", "")),
            state_values(view, self._modals.with_files(who.user_id, values)),
            who.user_id,
            str(view.get("private_metadata", "")),
            opened.id,
            team_id=TEAM_ID,
            view=view,
            trigger_id=self._modals.trigger_for(who.user_id),
            user_name=who.name,
        )
        # The values are not shown: a modal may hold a pasted API key.
        answer = await self.send("view_submission", f"{view.get('callback_id')} submitted", body)
        # The bot may have updated the view already (views.update): that is newer than the ack.
        if self._modals.opened(state.view_id).view.get("hash") == view.get("hash"):
            self._modals.after_submission(who.user_id, state, answer)
            self.changes += 1
        return answer

    async def close_view(self, who: Person) -> SlackDelivery | None:
        """The person closes their modal; the bot hears of it if it asked to."""
        state = self._top(who)
        if state is None:
            return None
        self._modals.close(who.user_id)
        self.changes += 1
        view = self._modals.opened(state.view_id).view
        if not view.get("notify_on_close"):
            return None
        body = view_closed_body(view, who.user_id, who.name, team_id=TEAM_ID)
        return await self.send("view_closed", f"{view.get('callback_id')} closed", body)

    def reply_path(self, who: Person, where: Channel) -> tuple[str, str]:
        """A trigger_id (a view opened with it is `who`'s) and a response_url (its posts
        land in `where`), for something else `who` does there (surfaces.py)."""
        url, _ = self._response_url(_Origin(who.user_id, where.channel_id))
        return self._modals.trigger_for(who.user_id), url

    # -- what people see ------------------------------------------------------------

    def conversation(self, who: Person, where: Channel) -> list[Entry]:
        self._sync()  # what `who` sees in `where`, oldest first: entries.py's seen_in
        return seen_in(self.slack, self._private, who.user_id, where.channel_id)

    def entry(self, who: Person, where: Channel, entry_id: str) -> Entry | None:
        return next((e for e in self.conversation(who, where) if e.id == entry_id), None)

    def open_view(self, who: Person) -> tuple[dict[str, Any], dict[str, str]] | None:
        """The modal on top of the person's screen and its field errors, if one is open."""
        self._sync()
        state = self._top(who)
        if state is None:
            return None
        return self._modals.opened(state.view_id).view, dict(state.errors)

    def trigger_for(self, who: Person) -> str:
        """A trigger_id for an action of `who` elsewhere (their Home tab): a modal the bot
        opens with it shows on their screen."""
        return self._modals.trigger_for(who.user_id)

    # -- the plumbing ---------------------------------------------------------------

    async def send(self, kind: str, summary: str, body: bytes) -> SlackDelivery:
        """`body` signed and sent to the bot as Slack sends it; in the traffic inspector as
        `kind: summary` (which must hold nothing secret)."""
        started = time.time()
        try:
            answer = await deliver(self._session, self.events_url, body, self._secret)
        except (aiohttp.ClientError, TimeoutError) as exc:
            answer = SlackDelivery(0, f"the bot did not answer ({type(exc).__name__})", 0.0)
        self.deliveries.append(
            Delivery(started, kind, summary, answer.status, answer.elapsed, answer.text[:300])
        )
        self.changes += 1
        return answer

    def _entry_id(self) -> str:
        return f"p:{next(self._numbers)}"

    def _add(self, entry: Entry) -> None:
        self._private.append(entry)
        self.changes += 1

    def _response_url(
        self, origin: _Origin, *, bind: tuple[str, str] | None = None
    ) -> tuple[str, str]:
        channel, ts = bind if bind else (None, None)
        url = self.slack.new_response_url(channel=channel, ts=ts)
        rid = url.rsplit("/", 1)[-1]
        self._origins[rid] = origin
        return url, rid

    def _slack_says(self, who: Person, where: Channel, text: str) -> None:
        self._add(
            Entry(
                self._entry_id(),
                "slack",
                where.channel_id,
                time.time(),
                "USLACKBOT",
                text,
                None,
                visible_to=who.user_id,
            )
        )

    def _show_ack(
        self, answer: SlackDelivery, who: Person, where: Channel, rid: str, *, what: str
    ) -> None:
        if answer.status != 200:
            error = "dispatch_failed" if answer.status else "no_service"
            self._slack_says(who, where, f'{what} failed with the error "{error}"')
            return
        if answer.elapsed > ACK_DEADLINE:
            self._slack_says(who, where, f'{what} failed with the error "operation_timeout"')
        body = json_object(answer.text)
        if body is None:
            if answer.text.strip():
                body = {"text": answer.text}
            else:
                return
        if body.get("text") or body.get("blocks"):
            self._post_from(rid, body, time.time())

    def _top(self, who: Person) -> ViewState | None:
        self._sync()
        return self._modals.top(who.user_id)

    def _sync(self) -> None:
        """Take in what the bot sent the local Slack since the last look."""
        calls = self.slack.calls
        for call in calls[self._seen_calls :]:
            if call.method == "response_url" and call.ok:
                rid = call.path.rsplit("/", 1)[-1]
                self._post_from(rid, call.args, call.time + self.clock_offset)
            if call.method in ("chat.postMessage", "chat.update", "views.update", "chat.delete"):
                self.changes += 1
        self._seen_calls = len(calls)
        ephemerals = self.slack.ephemerals
        for note in ephemerals[self._seen_ephemerals :]:
            self._add(
                Entry(
                    self._entry_id(),
                    "ephemeral",
                    note.channel,
                    note.time + self.clock_offset,
                    BOT_USER_ID,
                    note.text,
                    note.blocks,
                    visible_to=note.user,
                    thread_ts=note.thread_ts,
                )
            )
        self._seen_ephemerals = len(ephemerals)
        self.changes += self._modals.take_in()

    def _post_from(self, rid: str, body: Mapping[str, Any], at: float) -> None:
        """A response_url post (or an ack body), shown where Slack shows it."""
        origin = self._origins.get(rid)
        if origin is None:
            return
        replace = bool(body.get("replace_original"))
        delete = bool(body.get("delete_original"))
        if origin.message_ts is not None and (replace or delete):
            self.changes += 1  # the local Slack already changed the message itself
            return
        target = origin.entry_id if origin.entry_id else self._last_post.get(rid)
        if (replace or delete) and target is not None:
            for entry in list(self._private):
                if entry.id == target:
                    if delete:
                        self._private.remove(entry)
                    else:
                        entry.text, entry.blocks = body.get("text"), _blocks(body)
                        entry.edited = True
                    self.changes += 1
                    return
        in_channel = body.get("response_type") == "in_channel"
        entry = Entry(
            self._entry_id(),
            "message" if in_channel else "ephemeral",
            origin.channel_id,
            at,
            BOT_USER_ID,
            body.get("text"),
            _blocks(body),
            visible_to=None if in_channel else origin.user_id,
        )
        self._add(entry)
        self._last_post[rid] = entry.id


def _masked(command: str) -> str:
    """A command as the traffic inspector shows it: an invitation token is a secret."""
    words = command.split()
    if len(words) >= 3 and words[1].lower() == "accept":
        token = invitation_token(words[2])
        if token:
            words[2] = words[2].replace(token, token[:4] + "…")
    return " ".join(words)


def _blocks(body: Mapping[str, Any]) -> list[Any] | None:
    blocks = body.get("blocks")
    return blocks if isinstance(blocks, list) else None


def _element_kind(blocks: list[Any] | None, action_id: str, block_id: str | None) -> str:
    for block in blocks or []:
        if block_id is not None and block.get("block_id") != block_id:
            continue
        elements = [*block.get("elements", []), block.get("accessory"), block.get("element")]
        for element in elements:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return str(element.get("type", "button"))
    return "button"
