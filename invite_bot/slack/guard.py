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
for `lifecycle.drain()`.

Redeliveries are recognised by the body's fingerprint (`SlackRequest.delivery_key`,
claimed in the database so a retry reaching another replica is caught too), not by the
`X-Slack-Retry-Num` header: a retry whose first delivery never arrived must still act.
The header is only logged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest

from invite_bot.config.logs import RedactSecrets, new_request_id, redact_json
from invite_bot.config.metrics import Metrics
from invite_bot.domain.policy import Refused
from invite_bot.gencove import GencoveError
from invite_bot.slack import labels, lifecycle
from invite_bot.slack.blockkit import Message, ephemeral
from invite_bot.slack.context import Bot
from invite_bot.slack.inbound import IncompleteRequest, SlackRequest
from invite_bot.slack.replies import INCOMPLETE, SOMETHING_BROKE, gencove_failed, store_unavailable
from invite_bot.slack.trust import OUT_OF_DATE, OutOfDate
from invite_bot.store import StoreUnavailable

log = logging.getLogger(__name__)

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
    """One request as a listener sees it."""

    request: SlackRequest
    payload: dict[str, Any]  # the command's fields, the clicked action or the submitted view
    responder: AsyncRespond | None = None

    @property
    def respond(self) -> AsyncRespond:
        """Bolt's `respond` for this request's response_url."""
        if self.responder is None:
            raise IncompleteRequest("response_url")
        return self.responder


@dataclass(frozen=True)
class Reply:
    """What a listener decided before its ack: the ack's arguments, then the work."""

    ack: Mapping[str, Any] = field(default_factory=dict)
    then: Work | None = None


def answer(**ack: Any) -> Reply:
    """An acknowledgement that is the whole answer (help text, a field error, …)."""
    return Reply(ack=ack)


def then(work: Work) -> Reply:
    """An empty acknowledgement, then `work`."""
    return Reply(then=work)


Decide = Callable[[Turn], Reply]
Listener = Callable[..., Awaitable[None]]


class Guard:
    """Runs decide functions as Bolt listeners: ack, dedupe, work, a visible failure."""

    def __init__(
        self,
        *,
        first_delivery: Callable[[str], Awaitable[bool]],
        tell_privately: Callable[[str, str, Message], Awaitable[bool]],
        metrics: Metrics | None = None,
        redactor: RedactSecrets | None = None,
    ) -> None:
        self._first_delivery = first_delivery
        self._tell_privately = tell_privately
        self._metrics = metrics
        self._redactor = redactor  # an acknowledgement is text bound for Slack too

    @classmethod
    def for_bot(cls, bot: Bot) -> Guard:
        return cls(
            first_delivery=lambda key: bot.store.write(lambda tx: tx.deliveries.claim(key)),
            tell_privately=bot.tell_privately,
            metrics=bot.metrics,
            redactor=bot.redactor,
        )

    def listener(self, decide: Decide, *, once: bool = True) -> Listener:
        """A Bolt listener for `decide`. `once=False` runs the work for a redelivery too
        (for work that only shows a result again, where skipping would leave less)."""

        async def listener(
            ack: AsyncAck,
            body: dict[str, Any],
            context: AsyncBoltContext,
            payload: dict[str, Any],
            respond: AsyncRespond | None,
        ) -> None:
            with lifecycle.in_flight():
                turn = Turn(slack_request(context, body), payload, respond)
                try:
                    reply = decide(turn)
                    await ack(**self._shown(reply.ack))
                except Exception:
                    self._count(turn, "failed")
                    raise
                outcome = "answered"
                if reply.then is not None:
                    outcome = await self.after_ack(turn, reply.then, once=once)
                self._count(turn, outcome)

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
            await self.tell(turn, gencove_failed(exc))
            return "gencove_error"
        except IncompleteRequest as exc:
            log.warning("a %s request without its %s", request.kind, exc.missing)
            await self.tell(turn, INCOMPLETE.format(missing=exc.missing))
            return "incomplete"
        except OutOfDate as exc:
            log.warning("a %s request with %s the bot did not write", request.kind, exc)
            await self.tell(turn, OUT_OF_DATE)
            return "incomplete"  # a value it needed, unusable
        except Exception as exc:
            if (failure := store_failure(exc)) is not None:
                # One line, not a trace: the cause is known, and it repeats while it lasts.
                log.warning("database unavailable: %s (%s request)", failure.kind, request.kind)
                await self.tell(turn, store_unavailable(failure))
                return "failed"
            log.exception("unexpected failure after ack (%s)", request.kind)
            await self.tell(turn, SOMETHING_BROKE)
            return "failed"
        return "done"

    def _shown(self, ack: Mapping[str, Any]) -> dict[str, Any]:
        """The acknowledgement's arguments, redacted like the logs."""
        if self._redactor is None:
            return dict(ack)
        return {key: redact_json(value, self._redactor) for key, value in ack.items()}

    def _count(self, turn: Turn, outcome: str) -> None:
        if self._metrics is not None:
            labels.count(self._metrics, turn.request, turn.payload, outcome)

    async def tell(self, turn: Turn, text: str) -> None:
        """A private note: through the response_url, else in the channel or as a DM."""
        request = turn.request
        try:
            if request.response_url and turn.responder is not None:
                await turn.responder(response_type="ephemeral", text=text)
            elif request.user_id is not None:
                channel = request.channel_id or request.user_id
                await self._tell_privately(channel, request.user_id, ephemeral(text))
            else:
                log.warning("a %s request failed and names nobody to tell", request.kind)
        except Exception as exc:
            log.error("could not tell the user that a request failed (%s)", type(exc).__name__)


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


async def require_inviter(bot: Bot, user_id: str, respond: AsyncRespond) -> bool:
    """True for an inviter; anyone else is told why not."""
    decision = await bot.inviters.check(user_id)
    if isinstance(decision, Refused):
        await respond(response_type="ephemeral", text=decision.message)
        return False
    return True
