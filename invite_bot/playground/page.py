"""The playground's web page and its JSON control API, served by aiohttp.

`GET /` is the page; it polls `GET /playground/api/state` and re-draws the panes that
changed. Everything the page does goes through the control API below, so a script can do
the same (docs/playground.md, "The control API"):

    POST /playground/api/command  {"user": "admin", "channel": "general", "text": "…"}
    POST /playground/api/message  {"user", "channel": "dm", "text"[, "files": [{"name", "text"}]]}
    GET  /playground/api/messages?channel=general&user=admin
    POST /playground/api/click    {"user", "channel", "ts", "action_id"[, "block_id", "value"]}
    GET  /playground/api/view?user=admin          the open modal
    POST /playground/api/submit   {"user", "values": {block_id: {action_id: value}}}
    POST /playground/api/close    {"user"}
    GET  /playground/api/gencove/invitations
    POST /playground/api/gencove/invitations     {"email", "role"}   (outside Slack)
    POST /playground/api/gencove/{invitation_id}/accept|revoke|expire|expire-soon
    POST /playground/api/gencove/slow             {"on": true|false}   a slow Gencove
    POST /playground/api/poll                     the watcher polls now
    GET  /playground/api/traffic
    GET  /playground/files/{file_id}/{name}?user=admin[&download=1]   a shared file's bytes

Only this computer's browser and scripts are answered (`local_only.py`): a loopback `Host`,
no other site's `Origin`, and a JSON body (`Content-Type: application/json`) for a POST.

`messages` lists a file shared in the conversation as a message of kind "file" (with its
`file`: id, name, title, size, rows, links), and a reply with the `thread_ts` of its
message: the bulk invite's report is one, in its progress message's thread.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from invite_bot.features.notify.watcher import Watcher
from invite_bot.playground import api_json, panes, shared_files, side_panes, surfaces
from invite_bot.playground.api_json import WEB_APP_LINK
from invite_bot.playground.conversations import LocalSlack
from invite_bot.playground.direct import (
    MAX_ATTACHMENT,
    Attachment,
    MessageTooLong,
    NotADirectMessage,
    send_direct_message,
)
from invite_bot.playground.gencove import FakeGencove, FakeInvitation
from invite_bot.playground.home_pane import HomePane
from invite_bot.playground.local_only import local_only
from invite_bot.playground.shared_files import FILES_ROUTE
from invite_bot.playground.world import Channel, Person, channel, person

STATIC = Path(__file__).resolve().parent / "static"
SLOW_CREATES = (0.5, 1.0)  # seconds each create takes with "slow Gencove"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Playground:
    """What the page drives: the local Slack's people, the Gencove sandbox, the watcher."""

    local: LocalSlack
    gencove: FakeGencove
    watcher: Watcher | None
    sandbox_changes: int = 0

    def version(self, who: Person, where: Channel) -> str:
        self.local.conversation(who, where)  # takes in what arrived since the last look
        # Who and where are part of it: an answer for another view is never "unchanged".
        return f"{who.role}.{where.key}." + ".".join(
            str(n)
            for n in (
                self.local.changes,
                len(self.local.slack.calls),
                len(self.gencove.requests),
                self.sandbox_changes,
            )
        )


def page_app(playground: Playground) -> web.Application:
    app = web.Application(middlewares=[local_only, _api_errors], client_max_size=2 * MAX_ATTACHMENT)
    routes = _Routes(playground)
    app.router.add_get("/", routes.index)
    app.router.add_get("/favicon.ico", _favicon)  # for a browser that asks without the link
    app.router.add_static("/static/", STATIC, show_index=False)
    api = "/playground/api"
    app.router.add_get(f"{api}/state", routes.state)
    app.router.add_post(f"{api}/command", routes.command)
    app.router.add_post(f"{api}/message", routes.message)
    app.router.add_get(f"{api}/messages", routes.messages)
    app.router.add_post(f"{api}/click", routes.click)
    app.router.add_get(f"{api}/view", routes.view)
    app.router.add_post(f"{api}/submit", routes.submit)
    app.router.add_post(f"{api}/close", routes.close)
    app.router.add_get(f"{api}/gencove/invitations", routes.invitations)
    app.router.add_post(f"{api}/gencove/invitations", routes.create_invitation)
    app.router.add_post(f"{api}/gencove/slow", routes.slow)
    app.router.add_post(f"{api}/gencove/{{invitation_id}}/{{change}}", routes.change_invitation)
    app.router.add_post(f"{api}/poll", routes.poll)
    app.router.add_get(f"{api}/traffic", routes.traffic)
    app.router.add_get(FILES_ROUTE, routes.shared_file)
    surfaces.add_routes(app, playground.local, api)  # shortcuts, the workflow step
    for verb, path, handler in HomePane(playground.local).routes():  # the Home tab
        app.router.add_route(verb, path, handler)
    return app


async def _favicon(request: web.Request) -> web.StreamResponse:
    raise web.HTTPMovedPermanently("/static/favicon.svg")


@web.middleware
async def _api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return web.json_response({"ok": False, "error": exc.message}, status=exc.status)


class _Routes:
    def __init__(self, playground: Playground) -> None:
        self.playground = playground
        self.local = playground.local
        self.gencove = playground.gencove

    # -- the page -------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html")

    async def state(self, request: web.Request) -> web.Response:
        who, where = _who(request.query), _where(request.query)
        version = self.playground.version(who, where)
        if request.query.get("since") == version:
            return web.json_response({"version": version})
        opened = self.local.open_view(who)
        known = panes.names(self.local.slack.channels)
        entries = self.local.conversation(who, where)
        now = datetime.now(UTC)  # dates read "today at 5:35 PM", as Slack shows them
        return web.json_response(
            {
                "version": version,
                "channel_title": ("# " if where.key != "dm" else "") + where.name,
                "sidebar": panes.sidebar(who, where.key),
                "conversation": panes.conversation(entries, who, known, now=now),
                "modal": panes.modal(opened, known, now=now),
                "modal_key": _modal_key(opened),
                "gencove": side_panes.gencove_pane(self._sandbox()),
                "traffic": side_panes.traffic_pane(self._traffic()),
            }
        )

    # -- Slack: what people do ------------------------------------------------------

    async def command(self, request: web.Request) -> web.Response:
        body = await _body(request)
        who, where = _who(body), _where(body)
        text = str(body.get("text", "")).strip().removeprefix("/gencove").strip()
        answer = await self.local.command(who, where, text)
        return web.json_response(
            {"ok": answer.status == 200, "status": answer.status, "ack": _ack(answer.text)}
        )

    async def message(self, request: web.Request) -> web.Response:
        """A message in the person's DM with the bot, with files ({name, text}) if any."""
        body = await _body(request)
        who, where = _who(body), _where(body)
        text = str(body.get("text") or "")
        attachments = [_attachment(given) for given in body.get("files") or []]
        if not text.strip() and not attachments:
            raise ApiError(400, "a message needs text or a file")
        try:
            answers = await send_direct_message(self.local, who, where, text, attachments)
        except (NotADirectMessage, MessageTooLong) as exc:
            raise ApiError(400, str(exc)) from None
        statuses = [answer.status for answer in answers]
        return web.json_response({"ok": all(s == 200 for s in statuses), "statuses": statuses})

    async def messages(self, request: web.Request) -> web.Response:
        who, where = _who(request.query), _where(request.query)
        entries = self.local.conversation(who, where)
        shown = [api_json.message_json(m, who) for m in entries]
        return web.json_response({"ok": True, "messages": shown})

    async def click(self, request: web.Request) -> web.Response:
        body = await _body(request)
        who, where = _who(body), _where(body)
        ts, action_id = str(body.get("ts", "")), str(body.get("action_id", ""))
        entry_id = ts if ts.startswith("p:") or ts.startswith("m:") else f"m:{ts}"
        if not action_id:
            raise ApiError(400, "action_id is required")
        try:
            answer = await self.local.click(
                who,
                where,
                entry_id,
                action_id,
                block_id=_optional(body, "block_id"),
                value=_optional(body, "value"),
            )
        except KeyError:
            raise ApiError(404, f"no message {ts!r} in {where.name}") from None
        return web.json_response({"ok": answer.status == 200, "status": answer.status})

    async def view(self, request: web.Request) -> web.Response:
        opened = self.local.open_view(_who(request.query))
        if opened is None:
            return web.json_response({"ok": True, "view": None})
        view, errors = opened
        return web.json_response({"ok": True, "view": view, "errors": errors})

    async def submit(self, request: web.Request) -> web.Response:
        body = await _body(request)
        values = body.get("values") or {}
        if not isinstance(values, dict):
            raise ApiError(400, "values must be an object")
        try:
            answer = await self.local.submit(_who(body), values)
        except LookupError:
            raise ApiError(409, "no modal is open") from None
        return web.json_response(
            {"ok": answer.status == 200, "status": answer.status, "ack": _ack(answer.text)}
        )

    async def close(self, request: web.Request) -> web.Response:
        await self.local.close_view(_who(await _body(request)))
        return web.json_response({"ok": True})

    async def shared_file(self, request: web.Request) -> web.StreamResponse:
        """A file shared in a conversation the person sees: "Open" shows it as text,
        `download=1` saves it under its name (`shared_files.served`)."""
        found = self.local.slack.files.files.get(request.match_info["file_id"])
        who = _who(request.query)
        if (
            found is None
            or found.name != request.match_info["name"]
            or not shared_files.may_see(found, who)
        ):
            raise ApiError(404, "no such file in a conversation you see")
        answer = shared_files.served(found, download=request.query.get("download") == "1")
        return web.Response(body=answer.body, headers=answer.headers)

    # -- Gencove: what its web app could do -----------------------------------------

    async def invitations(self, request: web.Request) -> web.Response:
        rows = [api_json.invitation_json(i) for i in self.gencove.invitations.values()]
        return web.json_response({"ok": True, "invitations": rows})

    async def create_invitation(self, request: web.Request) -> web.Response:
        body = await _body(request)
        email = str(body.get("email", "")).strip()
        if "@" not in email or len(email) > 254:
            raise ApiError(400, "an email address is required")
        role = str(body.get("role") or "member")
        if role not in self.gencove.roles:
            raise ApiError(400, f"unknown role {role!r}")
        invitation = self.gencove.add_invitation(email, role=role)
        self.playground.sandbox_changes += 1
        return web.json_response({"ok": True, "invitation": api_json.invitation_json(invitation)})

    async def change_invitation(self, request: web.Request) -> web.Response:
        change = request.match_info["change"]
        invitation = self._invitation(request.match_info["invitation_id"])
        changes: dict[str, Callable[[FakeInvitation], FakeInvitation]] = {
            "accept": self.gencove.accept,
            "revoke": self.gencove.revoke,
            "expire": self.gencove.expire,
            # within the hour: the watcher's next poll sends its reminder (INVITE_REMIND_BEFORE)
            "expire-soon": self.gencove.expire_soon,
        }
        if change not in changes:
            raise ApiError(404, "the change is one of accept, revoke, expire, expire-soon")
        try:
            changes[change](invitation)
        except ValueError as exc:
            raise ApiError(409, str(exc)) from None
        self.playground.sandbox_changes += 1
        return web.json_response({"ok": True, "invitation": api_json.invitation_json(invitation)})

    async def slow(self, request: web.Request) -> web.Response:
        """A slow Gencove: each invitation created in 0.5 to 1 s, so a bulk invite's
        progress can be watched and cancelled."""
        on = (await _body(request)).get("on")
        if not isinstance(on, bool):
            raise ApiError(400, 'say {"on": true} or {"on": false}')
        self.gencove.slow_creates = SLOW_CREATES if on else None
        self.playground.sandbox_changes += 1
        return web.json_response({"ok": True, "slow": on})

    async def poll(self, request: web.Request) -> web.Response:
        if self.playground.watcher is None:
            raise ApiError(409, "the watcher is not running")
        self.playground.watcher.poll_soon()
        return web.json_response({"ok": True})

    async def traffic(self, request: web.Request) -> web.Response:
        rows = [row.__dict__ for row in self._traffic()]
        return web.json_response({"ok": True, "traffic": rows})

    # -- helpers ----------------------------------------------------------------------

    def _invitation(self, invitation_id: str) -> FakeInvitation:
        try:
            return self.gencove.get_invitation(invitation_id)
        except KeyError:
            raise ApiError(404, "no such invitation") from None

    def _sandbox(self) -> side_panes.SandboxView:
        keys = {}
        for role in ("admin", "member", "invitee"):
            account = self.gencove.user_by_email(person(role).email)
            if account is not None:
                keys[role] = account.api_key
        invitations = sorted(
            self.gencove.invitations.values(), key=lambda i: i.created, reverse=True
        )
        return side_panes.SandboxView(
            self.gencove.organization.name,
            invitations,
            keys,
            WEB_APP_LINK,
            slow=self.gencove.slow_creates is not None,
        )

    def _traffic(self) -> list[side_panes.Traffic]:
        return side_panes.traffic(
            self.local.deliveries,
            self.local.slack.calls,
            self.gencove.requests,
            self.local.clock_offset,
        )


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "the body must be JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    return body


def _who(source: Any) -> Person:
    try:
        return person(str(source.get("user") or "admin"))
    except KeyError:
        raise ApiError(400, "user is one of admin, member, invitee") from None


def _where(source: Any) -> Channel:
    key = str(source.get("channel") or "general")
    try:
        return channel(key, _who(source))
    except KeyError:
        raise ApiError(400, "channel is one of general, onboarding, lab-private, dm") from None


def _attachment(given: Any) -> Attachment:
    if not isinstance(given, dict) or not isinstance(given.get("text"), str):
        raise ApiError(400, "a file is {name, text}")
    content = given["text"].encode("utf-8")
    if len(content) > MAX_ATTACHMENT:
        raise ApiError(413, f"a file here holds at most {MAX_ATTACHMENT:,} bytes")
    name = str(given.get("name") or "file.csv").replace("/", "_")[:200]
    return Attachment(name, content)


def _optional(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    return None if value is None else str(value)


def _ack(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return text


def _modal_key(opened: tuple[dict[str, Any], dict[str, str]] | None) -> str:
    if opened is None:
        return ""
    view, errors = opened
    return json.dumps([view.get("id"), view.get("hash"), errors], sort_keys=True)
