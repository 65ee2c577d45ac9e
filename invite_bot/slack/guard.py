"""What every listener does around its own work, written once.

A listener here is split where Slack's 3-second deadline splits it:

- **before the ack**, a plain function `decide(turn) -> Reply` says what to acknowledge
  with (help text, a field error, a "checking…" view, or nothing) and which work follows.
  It cannot await, so nothing slow — Gencove, the database, Slack's Web API — can run
  before Slack has its answer;
- **after the ack**, the guard runs that work: only for the first delivery of the request
  (Slack retries a request it thinks timed out; the retry acks the same, then stops), and
  so that whatever goes wrong still ends in one message to the user — Gencove's words
  for a Gencove error, a plain sentence for anything else (logged once, with its trace),
  through the request's response_url, else an ephemeral note or a DM.

`attach_request` is the Bolt middleware that reads the `SlackRequest` once per request
into the context. Dedupe and failure handling cannot be Bolt middleware: in Bolt for
Python a middleware's `next()` only marks the request as passed on, and the listener runs
afterwards in a task of its own (slack_bolt/listener/asyncio_runner.py), so a middleware
finishes before the listener's `ack()` and never sees what happens after it. Hence
`Guard.listener`, which wraps each decide function where it is registered
(`app.action(REVOKE)(guard.listener(...))`), and also marks the listener task in flight
for `Guard.drain()`.

Redeliveries are recognised by the body's fingerprint (`SlackRequest.delivery_key`,
claimed in the database so a retry reaching another replica is caught too), not by the
`X-Slack-Retry-Num` header: a retry whose first delivery never arrived must still act.
The header is only logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest

from invite_bot.config.logs import new_request_id
from invite_bot.config.metrics import INTERACTION_KINDS, Metrics
from invite_bot.domain.text import escape_mrkdwn
from invite_bot.gencove import GencoveError
from invite_bot.slack.blockkit import Message, fits_block_kit, note
from invite_bot.slack.errors import SlackFailure
from invite_bot.slack.inbound import IncompleteRequest, SlackRequest
from invite_bot.slack.outbound import UNTRUSTED, Outbound
from invite_bot.slack.trust import OUT_OF_DATE, OutOfDate
from invite_bot.store import StoreUnavailable

log = logging.getLogger(__name__)

SOMETHING_BROKE = (
    "Something went wrong on the bot's side and your request was not finished. "
    "Try again; if it keeps failing, ask whoever runs the bot to look at its logs."
)
CANNOT_SAVE = (
    "The bot cannot save right now (its database is unavailable); nothing was changed. "
    "Try again in a few minutes."
)
SAVED_NOTHING_BUT = (
    "The bot's database became unavailable after Gencove had acted, so this was done but "
    "not recorded: {done}. Do not repeat it: `/gencove list` shows what Gencove has. The "
    "bot's message about it may be missing or out of date until its database is back."
)
INCOMPLETE = (
    "Slack's request came without its {missing}, so the bot did nothing with it. Try again."
)

REQUEST = "slack_request"  # the context key attach_request fills

Work = Callable[[], Awaitable[None]]


async def attach_request(
    context: AsyncBoltContext,
    body: Any,
    request: AsyncBoltRequest,
    next: Callable[[], Awaitable[None]],
) -> None:
    """Bolt middleware: `context["slack_request"]`, read once from the body (pure, fast).

    It also starts the delivery's request id: every log line of the listener and of the
    tasks it starts (Gencove calls, store writes, Slack calls) carries it."""
    new_request_id()
    parsed = SlackRequest.parse(body, request.headers)
    context[REQUEST] = parsed
    log.debug("a %s delivery", parsed.kind)
    if parsed.rejected:
        # The bot wrote that metadata: a value of another shape was not written by it.
        log.warning(
            "a %s request's private_metadata had an unusable %s; ignored",
            parsed.kind,
            ", ".join(parsed.rejected),
        )
    if parsed.retry_num is not None:
        log.info("Slack redelivers a %s request (retry %d)", parsed.kind, parsed.retry_num)
    await next()


def slack_request(context: Mapping[str, Any], body: Any) -> SlackRequest:
    """The request `attach_request` read, or (no middleware ran) read now."""
    found = context.get(REQUEST)
    return found if isinstance(found, SlackRequest) else SlackRequest.parse(body)


@dataclass(frozen=True)
class Turn:
    """One request as a listener sees it, and the ways to answer its sender."""

    request: SlackRequest
    payload: dict[str, Any]  # the command's fields, the clicked action or the submitted view
    outbound: Outbound

    async def reply(
        self, message: Message | str, *, replace: bool = False, public: bool = False
    ) -> bool:
        """Answer through the request's response_url (`replace`: in place of the message
        clicked; `public`: in the channel). Where that fails, the sender still gets it
        privately (without blocks Slack refused). True when it landed where asked."""
        shown = note(message) if isinstance(message, str) else message
        url = self.request.response_url
        failure = (
            await self.outbound.respond(url, shown, replace=replace, public=public)
            if url
            else SlackFailure("refused", "no_response_url")
        )
        if failure is None:
            return True
        fallback = instead(shown, failure)
        user = self.request.user_id
        reached = False
        if fallback is not None and user is not None:
            channel = self.request.channel_id or user
            reached = await self.outbound.tell(user, fallback, channel=channel)
        if url:  # one line: what failed, never the URL or the text
            what = "failed" if failure.outcome != "refused" else "was refused"
            if failure.error == UNTRUSTED:
                what = "was not sent there"
            outcome = "sent as a private note instead" if reached else "and reached nobody"
            log.warning("a reply through response_url %s (%s); %s", what, failure.error, outcome)
        return False

    async def tell(self, message: Message | str) -> bool:
        """A private note for the sender, never in place of anything: the response_url,
        else an ephemeral note in the channel, else a DM. False when none worked."""
        shown = note(message) if isinstance(message, str) else message
        url, user = self.request.response_url, self.request.user_id
        if url and await self.outbound.respond(url, shown) is None:
            return True
        if user is None:
            log.warning("a %s request names nobody to tell", self.request.kind)
            return False
        return await self.outbound.tell(user, shown, channel=self.request.channel_id or user)

    async def open_form(self, view: Any) -> Mapping[str, Any] | None:
        """Open a modal on this request's trigger; None when Slack would not (the sender
        is told why)."""
        opened = await self.outbound.views.open(self.request.trigger, view)
        if isinstance(opened, SlackFailure):
            log.warning("a form did not open: %s", opened.error)
            await self.tell(f":warning: The form did not open: {opened.sentence}. Try again.")
            return None
        return opened


def instead(message: Message, failure: SlackFailure) -> Message | None:
    """What to send another way: the message itself, or its text alone when its blocks are
    what Slack refused (or cannot take); None when there is nothing to show."""
    refused_blocks = failure.error.startswith("invalid_blocks")
    if message.blocks and fits_block_kit(message.blocks) and not refused_blocks:
        return message
    return note(message.text) if message.text else None


@dataclass(frozen=True)
class Reply:
    """What a listener decided before its ack: the ack's arguments, then the work, and
    (set by the router) the name the request is counted under."""

    ack: Mapping[str, Any] = field(default_factory=dict)
    then: Work | None = None
    name: str | None = None
    # Work that decides the reply itself, before the ack (a form's field error that needs
    # an answer from elsewhere); it must return within Slack's 3 s, so it keeps to a
    # budget of its own and falls back on an ack that says the work goes on.
    first: Callable[[], Awaitable[Reply]] | None = None


def answer(**ack: Any) -> Reply:
    """An acknowledgement that is the whole answer (help text, a field error, …)."""
    return Reply(ack=ack)


def then(work: Work) -> Reply:
    """An empty acknowledgement, then `work`."""
    return Reply(then=work)


Decide = Callable[[Turn], Reply]
Listener = Callable[..., Awaitable[None]]


def later(work: Callable[[Turn], Awaitable[None]]) -> Decide:
    """A listener that acknowledges at once with nothing, then does `work(turn)`."""
    return lambda turn: then(lambda: work(turn))


class Guard:
    """Runs decide functions as Bolt listeners: ack, dedupe, work, a visible failure; and
    knows which of them are still at work, for a stop to wait on (`drain`)."""

    def __init__(
        self,
        *,
        outbound: Outbound,
        first_delivery: Callable[[str], Awaitable[bool]],
        metrics: Metrics | None = None,
    ) -> None:
        self._outbound = outbound
        self._first_delivery = first_delivery
        self._metrics = metrics
        self._running: set[asyncio.Task[Any]] = set()

    def listener(
        self, decide: Decide, *, kind: str, name: str | None = None, once: bool = True
    ) -> Listener:
        """A Bolt listener for `decide`, counted as (`kind`, `name`). `once=False` runs
        the work for a redelivery too (for work that only shows a result again, where
        skipping would leave less)."""

        async def listener(
            ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, payload: dict[str, Any]
        ) -> None:
            with self._in_flight():
                turn = Turn(slack_request(context, body), payload, self._outbound)
                reply = Reply()
                try:
                    reply = decide(turn)
                    if reply.first is not None:
                        reply = replace(await reply.first(), name=reply.name)
                    await ack(**self._outbound.shown(reply.ack))
                except Exception:
                    self._count(kind, reply.name or name, "failed")
                    raise
                outcome = "answered"
                if reply.then is not None:
                    outcome = await self.after_ack(turn, reply.then, once=once)
                self._count(kind, reply.name or name, outcome)

        # Bolt names a listener after its function (in its logs): the decide function's name.
        listener.__name__ = getattr(decide, "__name__", listener.__name__)
        return listener

    async def after_ack(self, turn: Turn, work: Work, *, once: bool = True) -> str:
        """Run `work` for the first delivery only; any failure ends in a message.

        Returns the outcome, as the metrics name it: "done", "redelivered",
        "gencove_error", "incomplete" or "failed"."""
        request = turn.request
        try:
            if once and not await self._first_delivery(request.delivery_key):
                log.info("ignoring a redelivered %s request", request.kind)
                return "redelivered"
            await work()
        except GencoveError as exc:
            await self._tell(turn, gencove_failed(exc))
            return "gencove_error"
        except IncompleteRequest as exc:
            log.warning("a %s request without its %s", request.kind, exc.missing)
            await self._tell(turn, INCOMPLETE.format(missing=exc.missing))
            return "incomplete"
        except OutOfDate as exc:
            log.warning("a %s request with %s the bot did not write", request.kind, exc)
            await self._tell(turn, OUT_OF_DATE)
            return "incomplete"  # a value it needed, unusable
        except Exception as exc:
            if (failure := store_failure(exc)) is not None:
                # One line, not a trace: the cause is known, and it repeats while it lasts.
                log.warning("database unavailable: %s (%s request)", failure.kind, request.kind)
                await self._tell(turn, store_unavailable(failure))
                return "failed"
            log.exception("unexpected failure after ack (%s)", request.kind)
            await self._tell(turn, SOMETHING_BROKE)
            return "failed"
        return "done"

    def _count(self, kind: str, name: str | None, outcome: str) -> None:
        if self._metrics is None or name is None:
            return
        if kind == "command":
            self._metrics.command_handled(name, outcome)
        elif kind in INTERACTION_KINDS:
            self._metrics.interaction_handled(kind, name, outcome)

    async def _tell(self, turn: Turn, text: str) -> None:
        try:
            await turn.tell(text)
        except Exception as exc:
            log.error("could not tell the user that a request failed (%s)", type(exc).__name__)

    @contextlib.contextmanager
    def _in_flight(self) -> Iterator[None]:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._running.discard(task)

    def listeners_at_work(self) -> list[asyncio.Task[Any]]:
        """Listener tasks still at work (never the caller's own)."""
        current = asyncio.current_task()
        return [t for t in self._running if t is not current and not t.done()]

    async def drain(self, extra: Iterable[asyncio.Task[Any]] = (), *, grace: float = 10.0) -> None:
        """Wait up to `grace` seconds for the listeners at work (and `extra`); cancel the
        rest. Work that started after an ack finishes before the process stops."""
        tasks = {*self.listeners_at_work(), *(t for t in extra if not t.done())}
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("stopped with %d requests unfinished", len(pending))
            await asyncio.gather(*pending, return_exceptions=True)


def store_failure(exc: BaseException) -> StoreUnavailable | None:
    """`exc` if it is a StoreUnavailable, or the first of a group made only of them (a
    task group whose tasks all met the same dead database)."""
    if isinstance(exc, StoreUnavailable):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        matched, rest = exc.split(StoreUnavailable)
        if matched is not None and rest is None:
            return store_failure(matched.exceptions[0])
    return None


def store_unavailable(exc: StoreUnavailable) -> str:
    """The database failed: nothing changed, or (`took_effect`) what did all the same."""
    if not exc.took_effect:
        return CANNOT_SAVE
    return SAVED_NOTHING_BUT.format(done="; ".join(escape_mrkdwn(d) for d in exc.took_effect))


def gencove_failed(exc: GencoveError) -> str:
    return f":warning: Gencove said: {escape_mrkdwn(exc.message)}"
