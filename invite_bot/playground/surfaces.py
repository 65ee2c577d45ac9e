"""The playground's Slack surfaces besides the composer: the shortcuts menu, a message's
"…" menu (the message shortcut) and a workflow that runs the app's Workflow Builder step.
Each reaches the bot as Slack sends it (surfaces in the local Slack), and its outcome is
shown where Slack shows it: a modal on the person's screen, or the workflow run's result.

    POST /playground/api/shortcut          {"user", "channel"}            the shortcuts menu
    POST /playground/api/message-shortcut  {"user", "channel", "ts"}      a message's "…"
    POST /playground/api/workflow          {"user", "email"[, "role"]}    Run workflow
    GET  /playground/api/workflow?user=admin                              its runs, newest first
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from invite_bot.features.shortcuts.blocks import GLOBAL_SHORTCUT, MESSAGE_SHORTCUT
from invite_bot.features.workflow.blocks import (
    EMAIL_INPUT,
    FUNCTION,
    PERSON_INPUT,
    ROLE_INPUT,
)
from invite_bot.playground.conversations import LocalSlack
from invite_bot.playground.slack import (
    function_executed_body,
    global_shortcut_body,
    message_shortcut_body,
)
from invite_bot.playground.slack.functions import Execution, user_context
from invite_bot.playground.world import TEAM_ID, Channel, Person, channel, person

RUNS_SHOWN = 5


class Surfaces:
    """What the shortcuts and the workflow do in the playground's local Slack."""

    def __init__(self, local: LocalSlack) -> None:
        self.local = local
        self.runs: list[tuple[str, Execution]] = []  # (who ran it, the execution)

    async def shortcut(self, who: Person, where: Channel) -> int:
        trigger, _ = self.local.reply_path(who, where)
        body = global_shortcut_body(
            GLOBAL_SHORTCUT, user_id=who.user_id, team_id=TEAM_ID, trigger_id=trigger
        )
        answer = await self.local.send("shortcut", f"Invite to Gencove by @{who.name}", body)
        return answer.status

    async def message_shortcut(self, who: Person, where: Channel, ts: str) -> int:
        found = self.local.slack.messages.get((where.channel_id, ts))
        if found is None:
            raise KeyError(ts)
        message: dict[str, Any] = {"ts": found.ts, "text": found.text or ""}
        if found.user == self.local.slack.bot_user_id:
            message["bot_id"] = self.local.slack.bot_id
        if found.user:
            message["user"] = found.user
        trigger, url = self.local.reply_path(who, where)
        body = message_shortcut_body(
            MESSAGE_SHORTCUT,
            message,
            user_id=who.user_id,
            channel_id=where.channel_id,
            response_url=url,
            team_id=TEAM_ID,
            trigger_id=trigger,
        )
        summary = f"Invite to Gencove on a message in {where.name}"
        return (await self.local.send("message shortcut", summary, body)).status

    async def run_workflow(self, who: Person, email: str, role: str | None) -> Execution:
        """A workflow with the step, run by `who` ("Person who used this workflow")."""
        inputs: dict[str, Any] = {EMAIL_INPUT: email, PERSON_INPUT: user_context(who.user_id)}
        if role:
            inputs[ROLE_INPUT] = role
        execution = self.local.slack.functions.start(FUNCTION, inputs)
        self.runs.append((who.user_id, execution))
        body = function_executed_body(execution, team_id=TEAM_ID)
        await self.local.send("function_executed", f"Invite to Gencove step for @{who.name}", body)
        return execution

    def shown_runs(self, who: Person) -> list[dict[str, Any]]:
        mine = [execution for user, execution in self.runs if user == who.user_id]
        return [run_json(execution) for execution in reversed(mine[-RUNS_SHOWN:])]


def run_json(execution: Execution) -> dict[str, Any]:
    return {
        "id": execution.id,
        "email": execution.inputs.get(EMAIL_INPUT),
        "outcome": execution.outcome or "running",
        "outputs": execution.outputs,
        "error": execution.error,
    }


def add_routes(app: web.Application, local: LocalSlack, api: str) -> Surfaces:
    """The surfaces' control API (see the module's docstring) on the page's app."""
    surfaces = Surfaces(local)
    app.router.add_post(f"{api}/shortcut", _handler(surfaces, _shortcut))
    app.router.add_post(f"{api}/message-shortcut", _handler(surfaces, _message_shortcut))
    app.router.add_post(f"{api}/workflow", _handler(surfaces, _workflow))
    app.router.add_get(f"{api}/workflow", _handler(surfaces, _runs))
    return surfaces


JSON = dict[str, Any]
Action = Callable[[Surfaces, Person, Channel, JSON], Awaitable[JSON]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _handler(surfaces: Surfaces, action: Action) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        body: Any = dict(request.query)
        if request.method == "POST":
            try:
                body = await request.json()
            except ValueError:
                body = None
        if not isinstance(body, dict):
            return _refused("the body must be a JSON object")
        try:
            who = person(str(body.get("user") or "admin"))
            where = channel(str(body.get("channel") or "general"), who)
        except KeyError:
            return _refused("user is admin, member or invitee; channel one the page lists")
        try:
            answer = await action(surfaces, who, where, body)
        except KeyError:
            return _refused("no such message in that channel")
        return web.json_response(answer)

    return handle


def _refused(error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=400)


async def _shortcut(s: Surfaces, who: Person, where: Channel, body: JSON) -> JSON:
    return {"ok": True, "status": await s.shortcut(who, where)}


async def _message_shortcut(s: Surfaces, who: Person, where: Channel, body: JSON) -> JSON:
    return {"ok": True, "status": await s.message_shortcut(who, where, str(body.get("ts")))}


async def _workflow(s: Surfaces, who: Person, where: Channel, body: JSON) -> JSON:
    email = body.get("email")
    if not isinstance(email, str):
        return {"ok": False, "error": "email is the step's required input"}
    role = body.get("role")
    execution = await s.run_workflow(who, email, role if isinstance(role, str) else None)
    return {"ok": True, "run": run_json(execution)}


async def _runs(s: Surfaces, who: Person, where: Channel, body: JSON) -> JSON:
    return {"ok": True, "runs": s.shown_runs(who)}
